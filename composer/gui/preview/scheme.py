"""The preview's own URL scheme, registered before the QApplication exists.

Apart from view.py so that start-up loads only QtWebEngineCore's scheme registry here; the
web view classes are imported once the window is on screen.
"""

from __future__ import annotations

SCHEME = "composer-preview"


def register_preview_scheme() -> bool:
    """Register `composer-preview:`; call once before the QApplication is created. False when
    QtWebEngine is not installed (the preview then says so instead of rendering)."""
    try:
        from PySide6.QtWebEngineCore import QWebEngineUrlScheme
    except ImportError:
        return False
    if QWebEngineUrlScheme.schemeByName(SCHEME.encode()).name():
        return True  # already registered (the app and a test hook may both call this)
    scheme = QWebEngineUrlScheme(SCHEME.encode())
    # Path syntax: no host, so one origin for every document. No LocalScheme flag (it would
    # make LocalContentCanAccessRemoteUrls=False block remote content even when allowed) and no
    # SecureScheme (Chromium would then auto-upgrade or block http images as mixed content).
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Path)
    QWebEngineUrlScheme.registerScheme(scheme)
    return True
