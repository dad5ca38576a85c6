"""Every widget, the preview and the Qt workers. The only package that may import Qt.

``composer.gui.MainWindow`` is the compose window. It is imported on first use (PEP 562), so
that ``import composer.gui`` stays cheap for the CLI, which reaches the window only when asked.

Rooms: ``main_window`` (the window's layout and wiring), ``drafts`` (new / open / save /
autosave / recovery), ``sending`` (Send, its progress and the one send thread), ``tasks`` (the
one way to run background work), ``preview/`` (render, schedule, show), ``dialogs/`` (one
module per dialog), and the editing panes (``compose``, ``recipients``, ``options``,
``attachments``, ``editor``) over the one ``model``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str) -> Any:
    if name == "MainWindow":
        from composer.gui.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module 'composer.gui' has no attribute {name!r}")
