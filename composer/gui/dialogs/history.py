"""View → Send history: the latest sends, newest first, what the relay answered, and what
became of each recipient (the Delivery column, delivery.py: stored with the history, and asked
of the relay's Events API while the dialog is open).

Opens at once and loads in the background (``TaskRunner``): never the disk or the network on
the UI thread.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from composer.app.events import SendStates, states_of
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
from composer.gui.dialogs.delivery import DeliveryPoller, delivery_cell, delivery_html
from composer.gui.tasks import TaskRunner
from composer.store.history import History, HistoryEntry

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

__all__ = ["HistoryDialog", "open_history"]

HISTORY_LIMIT = 200
STATUS_TEXT = {Status.SENT: "sent", Status.FAILED: "failed", Status.UNKNOWN: "may have been sent"}
STATUS_COLOUR = {Status.SENT: OK_COLOUR, Status.FAILED: ERROR_COLOUR, Status.UNKNOWN: WARN_COLOUR}


def _local_time(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def _read_history(path: Path) -> list[SendStates]:
    if not path.exists():
        return []  # nothing sent yet: do not create a database just to look at it
    with History(path) as history:
        entries = history.recent(HISTORY_LIMIT)
        stored = history.events([e.id for e in entries])
        checks = {e.id: history.last_check(e.id) for e in entries}
    out = []
    for e in entries:
        check = checks[e.id]
        when, note = (check.checked, check.note) if check else ("", "")
        out.append(SendStates(e, states_of(e, stored[e.id]), when, note))
    return out


class HistoryDialog(QDialog):
    """The latest sends, newest first: what went, to whom, and what the relay answered."""

    COLUMNS = ("Time", "Status", "Profile", "Recipients", "Subject", "Reply", "Delivery")
    DELIVERY = 6
    loaded = Signal(int)  # rows shown
    delivery_updated = Signal(int)  # sends whose Delivery cell was just updated

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
        self.poller = DeliveryPoller(context, self.tasks, self)
        self.poller.updated.connect(self._delivery)
        self.poller.problem.connect(self._delivery_problem)
        self.poller.stopped.connect(self._delivery_stopped)
        self.finished.connect(self.poller.stop)
        self._problems: list[str] = []
        self._base_text = ""
        self.context = context

        self.table = make_table(self.COLUMNS, "historyTable")
        # Delivery shown after Status: what became of the mail matters more than the reply
        self.table.horizontalHeader().moveSection(self.DELIVERY, 2)
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

    def follow_sends(self, *ended: Any) -> None:
        """Each send that ends while the dialog is open shows at once, and its delivery is
        followed from then (its row is read on a worker, like every refresh)."""
        for signal in ended:
            signal.connect(self._send_ended)

    def _send_ended(self, _outcome: object) -> None:
        if self.isVisible():  # a hidden dialog reads the history when it is opened again
            self.refresh()

    def refresh(self) -> None:
        self.refresh_button.setEnabled(False)
        show_message(self.status, "Loading…")
        path = self.history_path
        self.tasks.run(lambda: _read_history(path), self._show, self._failed)

    def _show(self, states: list[SendStates]) -> None:
        entries = [s.entry for s in states]
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
            self._set_delivery(row, states[row])
        self.table.resizeColumnsToContents()
        self._fit_delivery()
        if not entries:
            text = "Nothing sent yet."
        elif len(entries) >= HISTORY_LIMIT:
            text = f"The latest {HISTORY_LIMIT} sends, newest first."
        else:
            text = f"{len(entries)} send{'s' if len(entries) != 1 else ''}, newest first."
        show_message(self.status, text)
        self.refresh_button.setEnabled(True)
        self._base_text = text
        self.loaded.emit(len(entries))
        if self.history_path == self.context.paths.history_db:
            # (a history file from elsewhere is shown as stored: its sends are not ours to ask)
            self.poller.follow(states)
            if self.poller.active:
                show_message(self.status, f"{text} Asking the relay what became of them…")

    def _set_delivery(self, row: int, states: SendStates) -> None:
        text, tip, colour = delivery_cell(states)
        self.table.setItem(row, self.DELIVERY, cell(text, tip, colour))
        # drawn over the item: one colour per recipient's line (the item keeps the plain text)
        label = QLabel(delivery_html(states))
        label.setObjectName("deliveryCell")
        label.setToolTip(tip)
        label.setAutoFillBackground(True)
        label.setContentsMargins(4, 2, 4, 2)
        self.table.setCellWidget(row, self.DELIVERY, label)

    def _delivery(self, states: list[SendStates]) -> None:
        rows = {e.id: row for row, e in enumerate(self.entries)}
        shown = 0
        for s in states:
            row = rows.get(s.entry.id)
            if row is not None:
                self._set_delivery(row, s)
                shown += 1
        if shown:
            self._fit_delivery()
        self.delivery_updated.emit(shown)

    def _fit_delivery(self) -> None:
        """The Delivery column as wide as its lines as shown (not the items' full text)."""
        labels = [self.table.cellWidget(r, self.DELIVERY) for r in range(self.table.rowCount())]
        widths = [w.sizeHint().width() for w in labels if w is not None]
        if widths:
            self.table.setColumnWidth(self.DELIVERY, min(900, max(120, *widths) + 8))
        self.table.resizeRowsToContents()

    def _delivery_stopped(self) -> None:
        if not self._problems:
            show_message(self.status, self._base_text)

    def _delivery_problem(self, text: str) -> None:
        if text not in self._problems:
            self._problems.append(text)
            show_message(self.status, "\n".join([self._base_text, *self._problems]), error=True)

    def _failed(self, exc: BaseException) -> None:
        show_message(self.status, f"The history cannot be read: {error_text(exc)}", error=True)
        self.refresh_button.setEnabled(True)


def open_history(window: MainWindow) -> HistoryDialog:
    """View → Send history: the window's one history dialog (raised and read again when it is
    already open, not a second one), following the sends the window makes while it is open."""
    dialog = window.findChild(HistoryDialog, "historyDialog")
    if dialog is None:
        dialog = HistoryDialog(window.context, window)
        controller = window.send_controller
        # a failed send may have recorded some messages (the connection dropped mid-batch)
        dialog.follow_sends(controller.finished, controller.failed)
    else:
        dialog.refresh()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
