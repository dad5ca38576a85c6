# PyInstaller runtime hook: TLS trust in the bundle.
# Composer verifies relays against the OS trust store (ssl.create_default_context()). The bundled
# OpenSSL looks where it was built to look; on a system where that finds nothing (other Linux
# distributions, python.org builds on macOS) fall back to certifi's bundle, shipped alongside.
# An SSL_CERT_FILE / SSL_CERT_DIR the person set always wins.
import os
import ssl
import sys


def _fallback() -> None:
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        return
    paths = ssl.get_default_verify_paths()
    if (paths.cafile and os.path.isfile(paths.cafile)) or (
        paths.capath and os.path.isdir(paths.capath) and os.listdir(paths.capath)
    ):
        return
    bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "certifi", "cacert.pem")
    if os.path.isfile(bundled):
        os.environ["SSL_CERT_FILE"] = bundled


_fallback()
