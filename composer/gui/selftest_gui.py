"""The GUI half of ``composer --self-test`` (the layer rule keeps Qt inside composer.gui)."""

from __future__ import annotations

import os
import sys
import time

from composer.app.context import Context


def check_gui(context: Context) -> str:
    """The window on the self-test's own Context (a temporary folder)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # headless by design
    from composer.gui.preview.scheme import register_preview_scheme

    register_preview_scheme()
    from PySide6.QtCore import QEvent, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from composer.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = MainWindow(context, recover=False)
    window.show()
    app.processEvents()
    detail = f"main window built ({app.platformName()})"
    try:
        from PySide6.QtWebEngineWidgets import QWebEngineView
    except ImportError:
        window.close()
        return detail + "; QtWebEngine not installed"
    view = QWebEngineView()
    loop = QEventLoop()
    result: list[bool] = []

    def finished(ok: bool) -> None:
        result.append(ok)
        loop.quit()

    view.loadFinished.connect(finished)
    QTimer.singleShot(60_000, loop.quit)
    view.setHtml("<html><body><p id=x>self-test</p></body></html>")
    loop.exec()
    title: list[str] = []
    if result and result[0]:
        view.page().runJavaScript("document.getElementById('x').textContent", 0, title.append)
        deadline = time.monotonic() + 20
        while not title and time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    view.close()
    view.deleteLater()
    window.close()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # the page before its profile
    app.processEvents()
    if not result:
        raise AssertionError("QtWebEngine did not finish loading a page in 60 s")
    if not result[0]:
        raise AssertionError("QtWebEngine failed to load a page")
    if title != ["self-test"]:
        raise AssertionError(f"QtWebEngine's renderer did not answer (got {title!r})")
    return detail + "; QtWebEngine rendered a page in its helper process"
