"""View → Send history: the latest sends, newest first, and what the relay answered.

Opens at once and loads in the background (``TaskRunner``): never the disk on the UI thread.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.app.context import Context
from composer.core.outcome import Status
from composer.gui.dialogs.common import (
    ERROR_COLOUR,
    OK_COLOUR,
    WARN_COLOUR,
    cell,
    error_text,
    make_table,
    show_message,
)
from composer.gui.tasks import TaskRunner
from composer.store.history import History, HistoryEntry

__all__ = ["HistoryDialog"]

HISTORY_LIMIT = 200
STATUS_TEXT = {Status.SENT: "sent", Status.FAILED: "failed", Status.UNKNOWN: "may have been sent"}
STATUS_COLOUR = {Status.SENT: OK_COLOUR, Status.FAILED: ERROR_COLOUR, Status.UNKNOWN: WARN_COLOUR}


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _read_history(path: Path) -> list[HistoryEntry]:
    if not path.exists():
        return []  # nothing sent yet: do not create a database just to look at it
    with History(path) as history:
        return history.recent(HISTORY_LIMIT)


class HistoryDialog(QDialog):
    """The latest sends, newest first: what went, to whom, and what the relay answered."""

    COLUMNS = ("Time", "Status", "Profile", "Recipients", "Subject", "Reply")
    loaded = Signal(int)  # rows shown

    def __init__(
        self,
        context: Context,
        parent: QWidget | None = None,
        history_path: str | Path | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("historyDialog")
        self.setWindowTitle("Send history")
        self.resize(900, 420)
        self.history_path = Path(history_path) if history_path else context.paths.history_db
        self.tasks = TaskRunner(self)
        self.entries: list[HistoryEntry] = []

        self.table = make_table(self.COLUMNS, "historyTable")
        self.status = QLabel()
        self.status.setObjectName("historyStatus")
        self.status.setWordWrap(True)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setObjectName("refreshButton")
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        show_message(self.status, "Loading…")
        path = self.history_path
        self.tasks.run(lambda: _read_history(path), self._show, self._failed)

    def _show(self, entries: list[HistoryEntry]) -> None:
        self.entries = entries
        self.table.setRowCount(len(entries))
        for row, e in enumerate(entries):
            status = STATUS_TEXT.get(e.status, e.status)
            why = e.error or ("" if e.status != Status.UNKNOWN else "the final reply never came")
            rcpts = ", ".join(e.rcpt_to)
            refused = "; ".join(f"{r}: {c} {t}" for r, (c, t) in e.refused.items())
            reply = " ".join(str(x) for x in (e.code, e.reply) if x) or e.error
            tip = "\n".join(x for x in (reply, refused and f"refused: {refused}") if x)
            values = [
                cell(_local_time(e.time), f"{e.time}\nMessage-ID: {e.message_id}"),
                cell(status, why or status, STATUS_COLOUR.get(e.status)),
                cell(e.profile, f"{e.profile} ({e.host})"),
                cell(rcpts, f"{rcpts}\nfrom {e.mail_from}"),
                cell(e.subject),
                cell(reply, tip),
            ]
            for col, item in enumerate(values):
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        if not entries:
            text = "Nothing sent yet."
        elif len(entries) >= HISTORY_LIMIT:
            text = f"The latest {HISTORY_LIMIT} sends, newest first."
        else:
            text = f"{len(entries)} send{'s' if len(entries) != 1 else ''}, newest first."
        show_message(self.status, text)
        self.refresh_button.setEnabled(True)
        self.loaded.emit(len(entries))

    def _failed(self, exc: BaseException) -> None:
        show_message(self.status, f"The history cannot be read: {error_text(exc)}", error=True)
        self.refresh_button.setEnabled(True)
