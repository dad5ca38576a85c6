"""Where mail goes and as whom: the providers Composer knows (providers.py), their REST API
addresses (rest_urls.py), the saved profiles (store.py) and the keys in the keyring
(credentials.py)."""
