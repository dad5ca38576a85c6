"""What the dialogs share: background tasks counted per dialog, read-only tables, messages."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem

from composer.core.errors import ComposerError
from composer.gui.tasks import run_task

__all__ = [
    "ERROR_STYLE",
    "TaskRunner",
    "cell",
    "error_text",
    "make_table",
    "show_message",
]

log = logging.getLogger(__name__)

ERROR_STYLE = "color: #b3261e;"
OK_COLOUR = "#1b7a3d"
ERROR_COLOUR = "#b3261e"
WARN_COLOUR = "#9a5b00"


class TaskRunner(QObject):
    """``run_task`` for one dialog, counting what is still running: ``pending`` and an
    ``idle`` signal when the last task has called back (tests and Close wait on it).

    run_task's signals are connected to this object's own methods, never to closures: with
    PySide6 6.12, connecting closures there (or to a short-lived QObject that deletes itself)
    crashed at the dialog's deletion (``QObject: shared QObject was deleted directly``) once
    a signal of the dialog had been emitted from the callback and then disconnected, which
    is what pytest-qt's ``waitSignal`` does. Each task's callbacks are looked up by a token."""

    idle = Signal()

    def __init__(self, owner: QObject) -> None:
        super().__init__(owner)
        self.pending = 0
        self._ids = itertools.count()
        self._callbacks: dict[int, tuple[Callable[[Any], None], Callable[[Any], None]]] = {}

    def run(
        self,
        func: Callable[[], Any],
        on_result: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``func`` off the UI thread; exactly one of the callbacks runs on the UI thread."""
        token = next(self._ids)
        self._callbacks[token] = (on_result, on_error)
        self.pending += 1

        def job() -> tuple[int, bool, Any]:
            try:
                return token, True, func()
            except BaseException as exc:  # every error reaches its own callback, as data
                return token, False, exc

        run_task(job, self._finished, self._lost, owner=self)

    def _finished(self, outcome: tuple[int, bool, Any]) -> None:
        token, ok, value = outcome
        on_result, on_error = self._callbacks.pop(token)
        self.pending -= 1
        try:
            (on_result if ok else on_error)(value)
        finally:
            if self.pending == 0:
                self.idle.emit()

    def _lost(self, exc: BaseException) -> None:  # pragma: no cover - job() catches everything
        log.error("a dialog task failed outside its own error handling: %r", exc)


def make_table(columns: Sequence[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(False)
    return table


def cell(text: str, tooltip: str = "", colour: str | None = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(tooltip or text)
    if colour:
        item.setForeground(QBrush(QColor(colour)))
        font = QFont(item.font())
        font.setBold(True)
        item.setFont(font)
    return item


def show_message(label: QLabel, text: str, *, error: bool = False) -> None:
    label.setText(text)
    label.setStyleSheet(ERROR_STYLE if error else "")


def error_text(exc: BaseException) -> str:
    """What a person reads: a ComposerError is one line already; anything else is named."""
    if isinstance(exc, ComposerError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return f"{type(exc).__name__}: {exc}"
