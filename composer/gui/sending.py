"""Sending: the one send path on its own thread, with progress, results and Cancel.

``SendController`` is the one owner of a send thread, for the window and for the outbox
dialog alike: it starts one at a time, cancels it, waits for it on close and releases it. The
thread gets plain data (a Draft snapshot, a profile name, seeds, an outbox item id) and does
everything that can wait — building, the keyring, the network, the history — off the UI
thread. It is a QThread, not a task of ``composer.gui.tasks``, because it reports progress
(one ``MessageResult`` per message) while it runs; like a task it ends with exactly one of
``done`` / ``failed``. ``SendActions`` is the window's side: Send, Test send, the answers.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QMessageBox,
)

from composer.app.context import Context
from composer.core.draft import Draft, Recipient, read_address_lines
from composer.core.outcome import FINAL, Status
from composer.core.problems import Problem
from composer.gui.send_panel import SendPanel
from composer.gui.send_prompts import ask_discard_cancelled, ask_stop_and_quit, offer_key
from composer.gui.tasks import run_task

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

log = logging.getLogger(__name__)

__all__ = ["SendActions", "SendController", "SendPanel", "SendWorker", "resend_job", "send_job"]

SendJob = Callable[["SendWorker"], Any]


class SendWorker(QThread):
    """Runs one send job off the UI thread. Made and owned by ``SendController`` only.

    Emits ``progress(MessageResult)`` per message and exactly one of ``done(BatchReport)`` /
    ``failed(Exception)``. ``cancel()`` stops between messages (and during a retry wait)."""

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(object)

    def __init__(self, job: SendJob, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._job = job
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancel_event(self) -> threading.Event:
        return self._cancel

    def run(self) -> None:
        try:
            report = self._job(self)
        except BaseException as exc:
            log.debug("send failed:\n%s", traceback.format_exc())
            self.failed.emit(exc)
        else:
            self.done.emit(report)


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


def resend_job(context: Context, outbox_path: Path, item_id: int) -> SendJob:
    """The outbox dialog's job: claim the queued item and send it with its own profile."""

    def job(worker: SendWorker) -> Any:
        from composer.app.connect import choose_profile
        from composer.app.deliver import deliver
        from composer.store.outbox import Outbox

        with Outbox(outbox_path) as outbox:
            item = outbox.get(item_id)
            if item is None:
                return None
            # deliver() holds the outbox's sending lock, which this path used to skip.
            return deliver(
                context,
                outbox,
                choose_profile(context, item.profile),
                queued_ids=[item_id],
                on_result=worker.progress.emit,
                cancel=worker.cancel_event,
            )

    return job


class SendController(QObject):
    """Starts one send at a time and reports back to its owner (the window, the outbox)."""

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

    @property
    def profile_name(self) -> str | None:  # of the latest send (not the one chosen since)
        return self._last[1] if self._last else None

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
        self.start(send_job(self.context, draft, profile_name, seeds, new_copies))

    def start(self, job: SendJob) -> bool:
        """Run ``job`` on the send thread; False (and nothing started) while one runs."""
        if self.worker is not None:
            return False
        worker = SendWorker(job, self)
        worker.progress.connect(self.progress)
        worker.done.connect(self._done)
        worker.failed.connect(self._failed)
        self.worker = worker
        self.started.emit()
        worker.start()
        return True

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
        from composer.store.outbox_items import StillInOutbox

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


class SendActions(QObject):
    """The window's Send: start it from the draft as it is, show its progress and outcome, and
    ask before a second copy of a send still in the outbox goes out. Cancel asks at once what
    becomes of the cancelled messages; closing the window during a send says one is running."""

    discarded = Signal(int)  # cancelled messages discarded from the outbox (their count)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.controller = window.send_controller
        self.panel = window.send_panel
        # What the relay refused in the last send, by field; cleared by the next edit.
        self.relay_problems: list[Problem] = []
        self.controller.progress.connect(self.panel.add_result)
        self.controller.finished.connect(self._finished)
        self.controller.failed.connect(self._failed)
        self.controller.copies_held.connect(self._ask_new_copies)
        self.panel.cancel_requested.connect(self.cancel)
        self._quitting = False  # the window asked to close while a send ran: close at its end

    def cancel(self) -> None:
        """Cancel, at once: the thread stops within about a second (between messages, or by
        waking a connect, a read or a retry wait); a message whose final "." went out still
        gets its reply first (never abandoned: see transport/base.Interruptible)."""
        if not self.controller.busy:
            return
        self.controller.cancel()
        self.panel.label.setText("Cancelling…")
        self.panel.cancel.setEnabled(False)

    def confirm_quit(self) -> bool:
        """Closing the window: True when it may close now. While a send runs the person is
        told so and chooses: stop it (the window closes once it has stopped; its unsent
        messages stay queued) or keep sending (the window stays)."""
        if not self.controller.busy:
            return True
        stop = ask_stop_and_quit(self.window, self.panel.results.count(), self.panel.bar.maximum())
        if stop and self.controller.busy:
            self._quitting = True
            self.cancel()
            return False  # closed by _finished / _failed once the thread has stopped
        return not self.controller.busy

    def send(self, seeds: list[Recipient] | None = None) -> None:
        w = self.window
        if w.model.errors or self.controller.busy:
            if not self.controller.busy:
                w.reveal_problems()  # a try to send shows every field's problems
            return
        if not w.send_guard.confirm(seeds or None):  # the same message again, or many
            return
        from composer.gui.preview.checks_tab import confirm_send

        if not confirm_send(w):  # an error-level check finding: "Send anyway" or "Cancel"
            return
        self.panel.start(len(seeds) if seeds else 1)
        w.sending_started()
        self.controller.send(w.model.snapshot(), w.profile_name, seeds or None)

    def test_send(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            "Seed list (one address per line)",
            "",
            "Text files (*.txt *.csv);;All files (*)",
        )
        if not path:
            return
        run_task(
            lambda: read_address_lines(Path(path).read_text(encoding="utf-8")),
            lambda seeds: self.send(seeds=seeds) if seeds else None,
            self._seeds_unreadable,
            owner=self.window,
        )

    def _seeds_unreadable(self, exc: BaseException) -> None:
        QMessageBox.warning(self.window, "Seed list", f"Cannot read it: {exc}")

    def _finished(self, report: Any) -> None:
        sent, failed, unknown, cancelled = (report.count(s) for s in FINAL)
        self.panel.finish(
            f"{sent} sent, {failed} failed, {unknown} may have been sent"
            + (f", {cancelled} cancelled" if cancelled else "")
        )
        self.relay_problems = [
            Problem(r.field, f"the relay refused it: {r.error}")
            for r in report.results
            if r.field and r.status is not Status.SENT
        ]
        model = self.window.model
        if self.relay_problems:
            model.set_problems(model.problems + self.relay_problems)
        self.window.show_problems(model.problems)
        if self._quitting:
            self.window.close()  # the person chose "stop and quit": cancelled ones stay queued
            return
        self._show_history_notices()
        from composer.app.deliver import cancelled_items

        held = cancelled_items(report)
        if held:
            self._ask_keep_or_discard(held)

    def _ask_keep_or_discard(self, ids: list[int]) -> None:
        """Asked at once, so nothing waits unexplained in the outbox: the cancelled messages
        (never handed to the relay) stay queued for a later Resume, or are discarded."""
        if not ask_discard_cancelled(self.window, len(ids)):
            self.panel.label.setText(self.panel.label.text() + f" — {len(ids)} kept in the outbox")
            return
        context = self.controller.context

        def discard() -> int:
            with context.outbox() as outbox:
                return sum(outbox.discard(i) for i in ids)

        run_task(discard, self._discarded, self._discard_failed, owner=self.window)

    def _discarded(self, count: int) -> None:
        self.panel.label.setText(self.panel.label.text() + f" — {count} discarded")
        self.discarded.emit(count)

    def _discard_failed(self, exc: BaseException) -> None:
        QMessageBox.warning(self.window, "Outbox", f"Could not discard them: {exc}")

    def _failed(self, exc: BaseException) -> None:
        self.panel.finish("Not sent.")
        self.window.show_problems(self.window.model.problems)
        if self._quitting:
            self.window.close()
            return
        if not offer_key(self.window, self.controller.profile_name, exc):  # no key: enter it
            QMessageBox.warning(self.window, "Not sent", str(exc))
        self._show_history_notices()

    def _ask_new_copies(self, held: Any) -> None:
        """Copies of this send are still in the outbox (a send cut short): nothing went out.
        A second copy reaches people only if the person says so here."""
        self.panel.finish("Not sent: copies of this send are still in the outbox.")
        self.window.show_problems(self.window.model.problems)
        unknown = sum(i.state == Status.UNKNOWN for i in held.held)
        box = QMessageBox(self.window)
        box.setObjectName("copiesHeldBox")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Already in the outbox")
        box.setText(
            f"{len(held.held)} message(s) of this send are still in the outbox"
            + (f", {unknown} of them may have been sent" if unknown else "")
            + ". Sending now gives those recipients a second copy."
        )
        box.setInformativeText(
            "Open the outbox to send the waiting ones or discard them, or send new copies."
        )
        again = box.addButton("Send new copies", QMessageBox.ButtonRole.AcceptRole)
        again.setObjectName("sendNewCopies")
        outbox = box.addButton("Open Outbox", QMessageBox.ButtonRole.ActionRole)
        outbox.setObjectName("openOutbox")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is again and self.controller.send_new_copies():
            self.panel.start(self.panel.bar.maximum() or 1)
            self.window.sending_started()
        elif box.clickedButton() is outbox:
            self.window.show_outbox()

    def _show_history_notices(self) -> None:
        from composer.store.history import take_notices

        for notice in take_notices():
            QMessageBox.warning(self.window, "Send history", notice)
