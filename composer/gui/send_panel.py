"""The send's progress and its results, one line per message in the seed list's order."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.core.outcome import Status


class SendPanel(QWidget):
    """Progress of the current send and each message's result."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sendPanel")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Send progress")
        self.bar.setFormat("%v of %m")  # messages handled, of the send's
        self.label = QLabel()
        self.label.setObjectName("sendStatus")
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("cancelSend")
        self.cancel.clicked.connect(self.cancel_requested)
        self.results = QListWidget()
        self.results.setObjectName("sendResults")
        self.results.setAccessibleName("Send results")
        self.results.setMaximumHeight(120)
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addLayout(row)
        lay.addWidget(self.results)
        self.hide()

    def start(self, total: int | None) -> None:
        self.results.clear()
        self.bar.setRange(0, total or 0)
        self.bar.setValue(0)
        self.label.setText("Sending…")
        self.cancel.setEnabled(True)
        self.show()

    def add_result(self, result: Any) -> None:
        who = ", ".join(result.rcpt_to)
        if result.status is Status.SENT:
            text = f"✔ {who}: sent ({result.code} {result.reply})"
            if getattr(result, "transmission_id", None):
                text += f" — transmission {result.transmission_id}"
            if result.refused:
                text += f" — {result.error}"
        elif result.status is Status.UNKNOWN:
            text = f"? {who}: may have been sent — {result.error}"
        elif result.status is Status.CANCELLED:
            text = f"⊘ {who}: cancelled — not sent"
        else:
            text = f"✘ {who}: {result.error}"
        item = QListWidgetItem(text)
        item.setToolTip(f"Server reply: {result.code or ''} {result.reply}".strip())
        self.results.addItem(item)
        # a cancelled message did not go: the bar keeps saying how far the send got
        if self.bar.maximum() and result.status is not Status.CANCELLED:
            self.bar.setValue(self.bar.value() + 1)

    def finish(self, summary: str) -> None:
        if not self.bar.maximum():  # a send of unknown size (busy bar) has ended: all of it
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
        self.label.setText(summary)
        self.cancel.setEnabled(False)
