"""Starting the Qt application."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from composer import __version__
from composer.gui.main_window import MainWindow


def run_app(argv: list[str]) -> int:
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("Composer")
    app.setApplicationVersion(__version__)
    window = MainWindow()
    window.show()
    return app.exec()
