"""The pure core: draft model, validation, X-MSYS-API, rendering, MIME.

No Qt and no sockets here (enforced by import-linter and tests/test_layers.py).
"""
