"""What the dialogs share: read-only tables, colours, messages in plain words."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QBrush, QColor, QFont, QGuiApplication, QScreen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from composer.core.errors import ComposerError

__all__ = [
    "ERROR_STYLE",
    "cell",
    "error_text",
    "fit_to_screen",
    "make_table",
    "screen_of",
    "show_message",
]


ERROR_STYLE = "color: #b3261e;"
OK_COLOUR = "#1b7a3d"
ERROR_COLOUR = "#b3261e"
WARN_COLOUR = "#9a5b00"


TITLE_BAR = 40  # px a window manager's title bar and frame take, roughly, on a small screen


def screen_of(widget: QWidget) -> QScreen | None:
    """The screen ``widget`` (or, not shown yet, its parent) is on.

    Not ``widget.screen()``: PySide ties the QScreen it returns to the widget, and when Python
    deletes the widget the app's one QScreen wrapper is marked deleted, so the next use of the
    screen anywhere raises "Internal C++ object (QScreen) already deleted"."""
    anchor = widget.window()
    parent = anchor.parentWidget()
    if not anchor.isVisible() and parent is not None:
        anchor = parent.window()
    at = QGuiApplication.screenAt(anchor.mapToGlobal(anchor.rect().center()))
    return at or QGuiApplication.primaryScreen()


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """``window.resize(width, height)``, but no larger than the screen's free area (less a title
    bar): a 1100×700 viewer went below the bottom of a 1280×720 laptop."""
    screen = screen_of(window)
    if screen is not None:
        free = screen.availableGeometry()
        width = min(width, free.width())
        height = min(height, free.height() - TITLE_BAR)
    window.resize(width, height)


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
