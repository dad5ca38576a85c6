"""View → Outbox: what waits, what failed and why, and what may have been sent.

Resend puts a failed or unknown item back in the queue — for an unknown one only after the
person confirms, since it may have been sent — and sends it (same bytes, same Message-ID) on a
SendWorker through the one send path. Discard forgets an item.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
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

from composer.gui.sending import SendWorker, resend_job
from composer.store.outbox import FAILED, UNKNOWN, UNKNOWN_HINT, Outbox, OutboxItem


class OutboxDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, outbox_path: str | Path | None = None):
        super().__init__(parent)
        self.setObjectName("outboxDialog")
        self.setWindowTitle("Outbox")
        self.resize(820, 380)
        self.outbox = Outbox(outbox_path)
        self.worker: SendWorker | None = None
        self.list = QListWidget()
        self.list.setObjectName("outboxList")
        self.list.setAccessibleName("Outbox items")
        self.status = QLabel()
        self.status.setObjectName("outboxStatus")
        self.status.setWordWrap(True)
        self.resend_button = QPushButton("&Resend")
        self.resend_button.setObjectName("resendButton")
        self.resend_button.clicked.connect(self.resend_selected)
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

    def refresh(self) -> None:
        self.list.clear()
        groups = (
            ("Pending", [i for i in self.outbox.pending() if not i.problem]),
            ("Failed", [i for i in self.outbox.failed() if not i.problem]),
            ("Unknown — " + UNKNOWN_HINT, [i for i in self.outbox.unknown() if not i.problem]),
            # a row not as written: shown with what is wrong, never sent, can be discarded
            ("Damaged — cannot be sent", self.outbox.damaged()),
        )
        total = 0
        for title, items in groups:
            for item in items:
                total += 1
                who = ", ".join(item.rcpt_to)
                why = item.problem or item.reason
                why = f" — {why}" if why else ""
                row = QListWidgetItem(f"[{title}] {who}: {item.subject!r}{why}")
                row.setData(Qt.ItemDataRole.UserRole, item.id)
                self.list.addItem(row)
        self.status.setText(f"{total} item(s)" if total else "The outbox is empty.")
        self._update_buttons()

    def _selected(self) -> OutboxItem | None:
        row = self.list.currentItem()
        return self.outbox.get(row.data(Qt.ItemDataRole.UserRole)) if row else None

    def _update_buttons(self) -> None:
        item = self._selected()
        busy = self.worker is not None
        self.resend_button.setEnabled(
            bool(item) and not busy and item.state in (FAILED, UNKNOWN) and not item.problem
        )
        self.discard_button.setEnabled(bool(item) and not busy)

    def resend_selected(self, *, confirmed: bool = False) -> bool:
        item = self._selected()
        if item is None or self.worker is not None or item.problem:
            return False
        if item.state == UNKNOWN and not confirmed:
            answer = QMessageBox.question(
                self, "Resend?", f"This message {UNKNOWN_HINT}. Resend it anyway?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return False
        if not self.outbox.resend(item.id):
            return False
        self.worker = SendWorker(resend_job(self.outbox.path, item.id), self)
        self.worker.done.connect(self._finished)
        self.worker.failed.connect(lambda exc: self._finished(None, str(exc)))
        self.status.setText("Sending…")
        self.worker.start()
        self.refresh()
        return True

    def _finished(self, _report: Any, error: str = "") -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()
        self.refresh()
        if error:
            self.status.setText(f"Not sent: {error}")

    def discard_selected(self) -> bool:
        item = self._selected()
        done = item is not None and self.outbox.discard(item.id)
        self.refresh()
        return done

    def done(self, result: int) -> None:  # closing: no thread outlives the dialog
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
        self.outbox.close()
        super().done(result)
