"""Sending from the window: the one send path on a QThread, with progress, results and Cancel.

The worker gets plain data (a Draft snapshot, a profile name, seeds) and does everything that
can wait — building, the keyring, the network, the history — off the UI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
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

from composer.app.context import Context
from composer.core.draft import Draft, Recipient
from composer.core.outcome import Status
from composer.gui.tasks import SendWorker


def send_job(
    context: Context,
    draft: Draft,
    profile_name: str,
    seeds: list[Recipient] | None,
    new_copies: bool = False,
):
    """What the worker runs: build, connect, send, record. Plain data in, a report out.

    Raises StillInOutbox (nothing written, nothing sent) when copies of these messages are
    still queued, being sent or of unknown outcome, unless ``new_copies``."""

    def job(worker: SendWorker) -> Any:
        from composer.app.connect import choose_profile
        from composer.app.deliver import deliver
        from composer.core.build import build_messages

        messages = build_messages(draft, seeds=seeds)
        with context.outbox() as outbox:
            return deliver(
                context,
                outbox,
                choose_profile(context, profile_name),
                new=messages,
                subject=draft.subject,
                on_result=worker.progress.emit,
                cancel=worker.cancel_event,
                new_copies=new_copies,
            )

    return job


class SendPanel(QWidget):
    """Progress of the current send and each message's result."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sendPanel")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Send progress")
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
        else:
            text = f"✘ {who}: {result.error}"
        item = QListWidgetItem(text)
        item.setToolTip(f"Server reply: {result.code or ''} {result.reply}".strip())
        self.results.addItem(item)
        if self.bar.maximum():
            self.bar.setValue(self.bar.value() + 1)

    def finish(self, summary: str) -> None:
        self.bar.setRange(0, max(1, self.bar.maximum()))
        self.bar.setValue(self.bar.maximum())
        self.label.setText(summary)
        self.cancel.setEnabled(False)


class SendController(QObject):
    """Starts one send at a time and reports back to the window."""

    started = Signal()
    progress = Signal(object)
    finished = Signal(object)  # BatchReport
    failed = Signal(object)  # an exception: shown once, in plain words
    # StillInOutbox: nothing was sent; the window asks, then calls send_new_copies() or not
    copies_held = Signal(object)

    def __init__(self, context: Context, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.worker: SendWorker | None = None
        self._last: tuple[Draft, str, list[Recipient] | None] | None = None

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def send(
        self,
        draft: Draft,
        profile_name: str,
        seeds: list[Recipient] | None = None,
        *,
        new_copies: bool = False,
    ) -> None:
        if self.worker is not None:
            return
        self._last = (draft, profile_name, seeds)
        worker = SendWorker(send_job(self.context, draft, profile_name, seeds, new_copies), self)
        worker.progress.connect(self.progress)
        worker.done.connect(self._done)
        worker.failed.connect(self._failed)
        self.worker = worker
        self.started.emit()
        worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _done(self, report: Any) -> None:
        self._release()
        self.finished.emit(report)

    def send_new_copies(self) -> bool:
        """Send the draft of the send just refused again, by the person's explicit decision,
        as new copies. The very snapshot is sent, not whatever the editor holds now."""
        if self._last is None or self.worker is not None:
            return False
        self.send(*self._last, new_copies=True)
        return True

    def _failed(self, exc: BaseException) -> None:
        from composer.store.outbox import StillInOutbox

        self._release()
        if isinstance(exc, StillInOutbox):
            self.copies_held.emit(exc)
        else:
            self.failed.emit(exc)

    def _release(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.wait()
            worker.deleteLater()

    def shutdown(self) -> None:
        """On close: cancel and wait, so no thread outlives the window."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait()
