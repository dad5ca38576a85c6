"""What the dialogs share: read-only tables, colours, messages in plain words."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem

from composer.core.errors import ComposerError

__all__ = [
    "ERROR_STYLE",
    "cell",
    "error_text",
    "make_table",
    "show_message",
]


ERROR_STYLE = "color: #b3261e;"
OK_COLOUR = "#1b7a3d"
ERROR_COLOUR = "#b3261e"
WARN_COLOUR = "#9a5b00"


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
    table.setTabKeyNavigation(False)  # Tab leaves the table; the arrow keys move within it
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
