"""View → Sandbox mailbox: what the local relay delivered, one file per recipient copy.

Opens at once and loads in the background (``TaskRunner``): never the disk on the UI thread.
"""

from __future__ import annotations

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
from composer.gui.dialogs.common import (
    cell,
    error_text,
    make_table,
    show_message,
)
from composer.gui.tasks import TaskRunner
from composer.relay.maildir import DeliveredCopy, list_sandbox

__all__ = ["SandboxDialog", "read_headers"]

_HEAD_LIMIT = 256 * 1024


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
