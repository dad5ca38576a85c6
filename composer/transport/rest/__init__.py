"""The REST backend (the Transmissions API): one session (session.py), the bounded HTTP reply
reader (wire.py), what an API error means (replies.py), the request body (payload.py) and
``profile test`` (probe.py). Mirrors transport/smtp/; neither backend imports the other."""
