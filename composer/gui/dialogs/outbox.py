"""View → Outbox: what waits, what failed and why, and what may have been sent.

Resend puts a failed or unknown item back in the queue — for an unknown one only after the
person confirms, since it may have been sent — and sends it (same bytes, same Message-ID) on
the send thread of a ``SendController``, through the one send path. Discard forgets an item.

The UI thread never waits on the outbox's SQLite file (another process may hold it, for up to
SQLite's 30 s busy timeout): every read and write is a task (``TaskRunner``) with its own
connection, and a selection only looks at the items the last read brought.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.app.context import Context
from composer.core.errors import OutboxDamaged
from composer.gui.dialogs.common import error_text, show_message
from composer.gui.sending import SendController, resend_job
from composer.gui.tasks import TaskRunner
from composer.store.outbox import Outbox
from composer.store.outbox_items import FAILED, UNKNOWN, UNKNOWN_HINT, OutboxItem

__all__ = ["OutboxDialog"]

Groups = list[tuple[str, list[OutboxItem]]]


def _open(context: Context, path: Path | None) -> Outbox:
    return Outbox(path) if path is not None else context.outbox()


def _read(context: Context, path: Path | None) -> Groups:
    with _open(context, path) as outbox:
        return [
            ("Pending", [i for i in outbox.pending() if not i.problem]),
            ("Failed", [i for i in outbox.failed() if not i.problem]),
            ("Unknown — " + UNKNOWN_HINT, [i for i in outbox.unknown() if not i.problem]),
            # a row not as written: shown with what is wrong, never sent, can be discarded
            ("Damaged — cannot be sent", outbox.damaged()),
        ]


def _requeue(context: Context, path: Path | None, item_id: int) -> Path | None:
    """The outbox's path when the item went back in the queue; None when it was not
    eligible any more (sent, discarded or resent elsewhere meanwhile)."""
    with _open(context, path) as outbox:
        return outbox.path if outbox.resend(item_id) else None


def _discard(context: Context, path: Path | None, item_id: int) -> bool:
    with _open(context, path) as outbox:
        return outbox.discard(item_id)


class OutboxDialog(QDialog):
    loaded = Signal(int)  # rows shown, after each read

    def __init__(
        self,
        context: Context,
        parent: QWidget | None = None,
        outbox_path: str | Path | None = None,
    ):
        super().__init__(parent)
        self.context = context
        self.setObjectName("outboxDialog")
        self.setWindowTitle("Outbox")
        self.resize(820, 380)
        self.outbox_path = Path(outbox_path) if outbox_path is not None else None
        self.tasks = TaskRunner(self)
        self.send_controller = SendController(context, self)
        self.send_controller.finished.connect(lambda _report: self.refresh())
        self.send_controller.failed.connect(self._send_failed)
        self.items: dict[int, OutboxItem] = {}  # what the last read brought, by id
        self._note = ""  # the outcome of the last action, shown after the next read
        self.list = QListWidget()
        self.list.setObjectName("outboxList")
        self.list.setAccessibleName("Outbox items")
        self.status = QLabel()
        self.status.setObjectName("outboxStatus")
        self.status.setWordWrap(True)
        self.resend_button = QPushButton("&Resend")
        self.resend_button.setObjectName("resendButton")
        self.resend_button.clicked.connect(lambda: self.resend_selected())
        self.discard_button = QPushButton("&Discard")
        self.discard_button.setObjectName("discardButton")
        self.discard_button.clicked.connect(self.discard_selected)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.resend_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.discard_button, QDialogButtonBox.ButtonRole.ActionRole)
        lay = QVBoxLayout(self)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.status)
        lay.addWidget(buttons)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.refresh()

    @property
    def busy(self) -> bool:
        """A send or a write is under way: no second action meanwhile."""
        return self.send_controller.busy or self.tasks.pending > 0

    def refresh(self) -> None:
        show_message(self.status, "Loading…")
        context, path = self.context, self.outbox_path
        self.tasks.run(lambda: _read(context, path), self._show, self._unreadable)
        self._update_buttons()

    def _show(self, groups: Groups) -> None:
        current = self._selected()
        self.list.clear()
        self.items = {}
        for title, items in groups:
            for item in items:
                self.items[item.id] = item
                who = ", ".join(item.rcpt_to)
                why = item.problem or item.reason
                why = f" — {why}" if why else ""
                row = QListWidgetItem(f"[{title}] {who}: {item.subject!r}{why}")
                row.setData(Qt.ItemDataRole.UserRole, item.id)
                self.list.addItem(row)
                if current is not None and item.id == current.id:
                    self.list.setCurrentItem(row)
        total = len(self.items)
        text = f"{total} item(s)" if total else "The outbox is empty."
        if self.send_controller.busy:
            text += " Sending…"
        note, self._note = self._note, ""
        show_message(self.status, f"{text} {note}".strip(), error=bool(note))
        self._update_buttons()
        self.loaded.emit(total)

    def _unreadable(self, exc: BaseException) -> None:
        self.list.clear()
        self.items = {}
        show_message(self.status, f"The outbox cannot be read: {error_text(exc)}", error=True)
        self._update_buttons()
        if isinstance(exc, OutboxDamaged):  # names the file and the way out (salvage)
            QMessageBox.warning(self.parentWidget() or self, "Outbox damaged", str(exc))
            self.reject()

    def _selected(self) -> OutboxItem | None:
        row = self.list.currentItem()
        return self.items.get(row.data(Qt.ItemDataRole.UserRole)) if row else None

    def _update_buttons(self) -> None:
        item = self._selected()
        busy = self.busy
        self.resend_button.setEnabled(
            item is not None and not busy and item.state in (FAILED, UNKNOWN) and not item.problem
        )
        self.discard_button.setEnabled(item is not None and not busy)

    def resend_selected(self, *, confirmed: bool = False) -> bool:
        """Queue the selected item again and send it. True when that has been started; the
        list shows the outcome when the send is over."""
        item = self._selected()
        if item is None or self.busy or item.problem or item.state not in (FAILED, UNKNOWN):
            return False
        if item.state == UNKNOWN and not confirmed:
            answer = QMessageBox.question(
                self, "Resend?", f"This message {UNKNOWN_HINT}. Resend it anyway?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        context, path, item_id = self.context, self.outbox_path, item.id
        self.tasks.run(
            lambda: _requeue(context, path, item_id),
            lambda p: self._requeued(p, item_id),
            self._write_failed,
        )
        self._update_buttons()
        return True

    def _requeued(self, path: Path | None, item_id: int) -> None:
        if path is None:
            self._note = "Not resent: the item changed meanwhile."
        else:
            self.send_controller.start(resend_job(self.context, path, item_id))
        self.refresh()

    def _send_failed(self, exc: BaseException) -> None:
        self._note = f"Not sent: {error_text(exc)}"
        self.refresh()

    def discard_selected(self) -> bool:
        """Forget the selected item. True when that has been started."""
        item = self._selected()
        if item is None or self.busy:
            return False
        context, path, item_id = self.context, self.outbox_path, item.id
        self.tasks.run(
            lambda: _discard(context, path, item_id),
            lambda _done: self.refresh(),
            self._write_failed,
        )
        self._update_buttons()
        return True

    def _write_failed(self, exc: BaseException) -> None:
        self._note = error_text(exc)
        self.refresh()

    def done(self, result: int) -> None:  # closing: no send thread outlives the dialog
        self.send_controller.shutdown()
        super().done(result)
