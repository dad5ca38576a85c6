"""The small dialogs: send history and the local relay's sandbox; draft recovery and the
profiles dialog live in ``dialogs_recovery`` / ``dialogs_profiles`` and are re-exported here.

Each one opens at once and loads in the background: anything that touches the disk, the
keyring or the network goes through ``run_task`` (``TaskRunner``), never the UI thread. None
of them needs a network to be constructed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from composer.app.context import Context
from composer.core.outcome import Status
from composer.gui.dialogs_common import (
    ERROR_COLOUR,
    OK_COLOUR,
    WARN_COLOUR,
    TaskRunner,
    cell,
    error_text,
    make_table,
    show_message,
)
from composer.gui.dialogs_profiles import ProfilesDialog
from composer.gui.dialogs_recovery import RecoveryDialog
from composer.relay.maildir import DeliveredCopy, list_sandbox
from composer.store.history import History, HistoryEntry

__all__ = [
    "HistoryDialog",
    "ProfilesDialog",
    "RecoveryDialog",
    "SandboxDialog",
    "TaskRunner",
    "read_headers",
]

HISTORY_LIMIT = 200
_HEAD_LIMIT = 256 * 1024
STATUS_TEXT = {Status.SENT: "sent", Status.FAILED: "failed", Status.UNKNOWN: "may have been sent"}
STATUS_COLOUR = {Status.SENT: OK_COLOUR, Status.FAILED: ERROR_COLOUR, Status.UNKNOWN: WARN_COLOUR}


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


# --- history ----------------------------------------------------------------------------------


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


# --- sandbox ----------------------------------------------------------------------------------


def read_headers(path: Path) -> str:
    """The header block of a delivered copy, as text (bad bytes replaced, never raised)."""
    with open(path, "rb") as f:
        data = f.read(_HEAD_LIMIT)
    head = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    return head.decode("utf-8", "replace")


class SandboxDialog(QDialog):
    """What the local relay delivered: one file per recipient copy (to, cc, bcc, archive)."""

    COLUMNS = ("Delivered", "Recipient", "Type", "Subject", "Transmission")
    open_copy = Signal(Path)  # a row was selected: the window shows that file in the preview
    loaded = Signal(int)  # rows shown
    headers_shown = Signal(Path)

    def __init__(
        self, context: Context, parent: QWidget | None = None, maildir: str | Path | None = None
    ):
        super().__init__(parent)
        self.setObjectName("sandboxDialog")
        self.setWindowTitle("Local relay: delivered mail")
        self.resize(900, 560)
        self.maildir = Path(maildir) if maildir else context.sandbox
        self.tasks = TaskRunner(self)
        self.copies: list[DeliveredCopy] = []
        self._showing: Path | None = None

        self.table = make_table(self.COLUMNS, "sandboxTable")
        self.table.itemSelectionChanged.connect(self._selected)
        self.headers = QPlainTextEdit()
        self.headers.setObjectName("headersView")
        self.headers.setReadOnly(True)
        self.headers.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.headers.setPlaceholderText("Select a copy to see its headers.")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.headers)
        self.status = QLabel()
        self.status.setObjectName("sandboxStatus")
        self.status.setWordWrap(True)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setObjectName("refreshButton")
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)

        layout = QVBoxLayout(self)
        layout.addWidget(split)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        show_message(self.status, "Loading…")
        folder = self.maildir
        self.tasks.run(lambda: list_sandbox(folder), self._show, self._failed)

    def _show(self, copies: list[DeliveredCopy]) -> None:
        self.copies = copies
        self._showing = None
        self.headers.clear()
        with_signals_blocked = self.table.blockSignals(True)
        self.table.setRowCount(len(copies))
        for row, c in enumerate(copies):
            when = c.delivered_at.strftime("%Y-%m-%d %H:%M:%S")
            values = [
                cell(when, f"delivered {when}\n{c.path}"),
                cell(c.rcpt),
                cell(c.rcpt_type or "—"),
                cell(c.subject),
                cell(c.transmission_id),
            ]
            for col, item in enumerate(values):
                self.table.setItem(row, col, item)
        self.table.clearSelection()
        self.table.blockSignals(with_signals_blocked)
        self.table.resizeColumnsToContents()
        if copies:
            n = len(copies)
            show_message(self.status, f"{n} cop{'ies' if n != 1 else 'y'} in {self.maildir}")
        else:
            show_message(
                self.status,
                "Nothing delivered yet: send with the local profile and every recipient's copy "
                "(to, cc, bcc, archive) appears here.",
            )
        self.refresh_button.setEnabled(True)
        self.loaded.emit(len(copies))

    def _failed(self, exc: BaseException) -> None:
        text = f"The sandbox {self.maildir} cannot be read: {error_text(exc)}"
        show_message(self.status, text, error=True)
        self.refresh_button.setEnabled(True)

    def _selected(self) -> None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) != 1:
            return
        copy = self.copies[rows.pop()]
        self._showing = copy.path
        self.headers.setPlainText("Reading…")
        path = copy.path
        self.tasks.run(
            lambda: read_headers(path),
            lambda text: self._headers_read(path, text),
            lambda exc: self._headers_failed(path, exc),
        )
        self.open_copy.emit(path)

    def _headers_read(self, path: Path, text: str) -> None:
        if path != self._showing:
            return  # another row was selected meanwhile
        self.headers.setPlainText(text)
        self.headers_shown.emit(path)

    def _headers_failed(self, path: Path, exc: BaseException) -> None:
        if path != self._showing:
            return
        if isinstance(exc, FileNotFoundError):
            text = f"This copy is no longer at {path} (a mail reader may have moved it): refresh."
        else:
            text = f"Cannot read {path}: {error_text(exc)}"
        self.headers.setPlainText(text)
