"""The SMTP backend: one session to the relay (session.py), its AUTH LOGIN (auth.py), the
bounded reply reader (wire.py), what a reply means (replies.py) and ``profile test`` (probe.py).
Mirrors transport/rest/; neither backend imports the other."""
