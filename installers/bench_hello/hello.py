"""A bare PySide6 + QtWebEngine hello world: the size baseline the Composer bundle is compared to.
``hello --check`` renders one page offscreen and exits 0 if it loaded."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QApplication, QMainWindow

app = QApplication(sys.argv)
win = QMainWindow()
view = QWebEngineView()
view.setHtml("<h1>Hello</h1>")
win.setCentralWidget(view)
win.show()
if "--check" in sys.argv:
    view.loadFinished.connect(lambda ok: app.exit(0 if ok else 1))
    QTimer.singleShot(60_000, lambda: app.exit(2))
sys.exit(app.exec())
