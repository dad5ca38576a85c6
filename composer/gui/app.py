"""Starting the Qt application."""

from __future__ import annotations

import sys

from composer import __version__
from composer.app.context import Context


def run_app(context: Context, argv: list[str]) -> int:
    """The window, on the ``context`` the CLI made (the app's folders and stores)."""
    # QtWebEngine is imported only once the window is on screen (PreviewPanel.start_views,
    # which also registers the preview's URL scheme before the first web view): imported after
    # the QApplication exists, it needs shared GL contexts set before.
    from PySide6.QtCore import QCoreApplication, Qt

    from composer.store.paths import use_private_umask

    use_private_umask()  # QtWebEngine, logs, the stores: nothing readable by others
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

    from composer.gui import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("Composer")
    app.setApplicationVersion(__version__)
    window = MainWindow(context, recover=True)
    window.show()
    return app.exec()
