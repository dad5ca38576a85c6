"""Starting the Qt application."""

from __future__ import annotations

import builtins
import sys

from composer import __version__
from composer.app.context import Context


def drop_feature_import_hook() -> bool:
    """Hand ``import`` back to Python's own machinery after PySide6 took it over.

    Importing PySide6.QtCore replaces ``builtins.__import__`` with shiboken's
    ``__feature_import__`` (for ``from __feature__ import snake_case``), which after every
    import reads the new module's whole source (``inspect.getsource``) to see whether it
    mentions PySide6 (PYSIDE-2029; napari/napari#8584). Composer uses no ``__feature__``, so
    that is pure cost: 25-35 ms of CPU on the UI thread before the window's first paint, and
    more on the preview worker, which imports the render pipeline while the UI thread waits
    for the GIL (measured with a timing wrapper around it; README, Performance).
    The original import is what shiboken keeps in ``__orig_import__`` and calls itself after
    its check; modules it never saw are treated as using no feature (feature_select.cpp).
    True when the hook was there and is gone."""
    current = builtins.__import__
    original = getattr(builtins, "__orig_import__", None)
    if original is None or getattr(current, "__name__", "") != "__feature_import__":
        return False
    builtins.__import__ = original
    return True


def run_app(context: Context, argv: list[str]) -> int:
    """The window, on the ``context`` the CLI made (the app's folders and stores)."""
    # QtWebEngine is imported only once the window is on screen (PreviewPanel.start_views,
    # which also registers the preview's URL scheme before the first web view): imported after
    # the QApplication exists, it needs shared GL contexts set before.
    from PySide6.QtCore import QCoreApplication, Qt

    drop_feature_import_hook()  # before the window's modules are imported
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
