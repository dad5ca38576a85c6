"""Widgets shown as a person sees them (offscreen), and the main window with the checks every
window test ends with: no task and no send thread left running."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from composer.app.context import Context
    from composer.gui.main_window import MainWindow

WAIT = 20_000  # ms: the first QtWebEngine start on a busy 2-core machine is slow

W = TypeVar("W", bound=QWidget)


def on_screen(qtbot: Any, widget: W, size: tuple[int, int] | None = None) -> W:
    """``widget`` handed to pytest-qt (closed at teardown), shown and exposed."""
    qtbot.addWidget(widget)
    if size is not None:
        widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@contextmanager
def main_window(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, context: Context
) -> Iterator[MainWindow]:
    from composer.gui.main_window import MainWindow

    window = MainWindow(context)
    # pytest-qt closes widgets before fixtures tear down: no "save changes?" prompt then
    # (test_closing_with_unsaved_changes_asks covers the prompt itself).
    monkeypatch.setattr(window.drafts, "confirm_discard", lambda: True)
    yield on_screen(qtbot, window)
    assert QThreadPool.globalInstance().waitForDone(WAIT), "a background task was left running"
    assert window.send_controller.worker is None, "a send thread was left running"
