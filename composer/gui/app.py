"""Starting the Qt application."""

from __future__ import annotations

import sys

from composer import __version__


def run_app(argv: list[str]) -> int:
    # The preview's URL scheme must be registered before the QApplication exists.
    from composer.gui.preview import register_preview_scheme

    register_preview_scheme()
    from PySide6.QtWidgets import QApplication

    from composer.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("Composer")
    app.setApplicationVersion(__version__)
    window = MainWindow(recover=True)
    window.show()
    return app.exec()
