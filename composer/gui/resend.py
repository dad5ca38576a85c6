"""No accidental resend: Send asks before the same message goes out again, and before any send
to many addresses.

"The same message" is judged as the outbox judges it (``send_fingerprint``: the envelope and
the built bytes without Date, Message-ID and MIME boundaries), plus the seed list and the
profile: sending to the local sandbox first and then through the real relay is an ordinary
thing to do. The built message is the preview's, which is computed by the send's own functions
off the UI thread; when the preview is behind the latest edit, the draft itself (its JSON, the
same seeds, the same profile) stands in, so a quick Ctrl+Enter cannot slip past the question.
A send is remembered only once something of it may have reached someone (sent or unknown).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog, QMessageBox

from composer.core.draft import Recipient, dumps_draft
from composer.core.outcome import Status

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

__all__ = ["SendGuard", "address_count"]


def address_count(to: list[Recipient], cc: int, bcc: int, archive: int) -> int:
    return len(to) + cc + bcc + archive


class SendGuard(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.last_sent: set[str] = set()  # the fingerprints of the last send that went out
        self._pending: set[str] = set()
        self._cached: tuple[tuple[int, int, str], set[str]] | None = None
        window.send_controller.finished.connect(self._finished)

    # --- what would be sent now ------------------------------------------------------------

    def fingerprints(self, seeds: list[Recipient] | None) -> set[str]:
        """Of the draft as it is now; kept per edit, as the window asks after every preview
        and a message with large attachments takes milliseconds to hash."""
        w = self.window
        tail = "\0".join([w.profile_name, *(s.email.casefold() for s in seeds or [])])
        result = w.preview.result
        key = (w.model.generation, result.generation if result else -1, tail)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        found = self._compute(tail)
        self._cached = (key, found)
        return found

    def _compute(self, tail: str) -> set[str]:
        w = self.window
        draft = hashlib.sha256((dumps_draft(w.model.draft) + "\0" + tail).encode("utf-8"))
        found = {"draft:" + draft.hexdigest()}
        result = w.preview.result
        # The preview's message, when it is of the draft as it is now.
        if result and result.message is not None and result.generation == w.model.generation:
            from composer.store.outbox_items import send_fingerprint  # the build: not before paint

            built = send_fingerprint(result.message) + "\0" + tail
            found.add("built:" + hashlib.sha256(built.encode("utf-8")).hexdigest())
        return found

    def unchanged(self, seeds: list[Recipient] | None = None) -> bool:
        """True when sending now would send again what the last send sent."""
        return bool(self.last_sent) and bool(self.fingerprints(seeds) & self.last_sent)

    def count(self, seeds: list[Recipient] | None) -> int:
        d = self.window.model.draft
        return address_count(seeds or d.to, len(d.cc), len(d.bcc), len(d.archive))

    # --- the question ----------------------------------------------------------------------

    def confirm(self, seeds: list[Recipient] | None = None) -> bool:
        """Ask, when it is warranted, once: True to send. Remembers what is about to go."""
        prints = self.fingerprints(seeds)
        again = bool(self.last_sent) and bool(prints & self.last_sent)
        count = self.count(seeds)
        limit = self.window.settings.ask_above
        many = count > limit
        if again or many:
            noun = f"{count} address{'es' * (count != 1)}"
            if again:
                question = f"Send the same message again to {noun}?"
                detail = "It was sent a moment ago and nothing in it has changed since."
            else:
                question = f"Send this message to {noun}?"
                detail = (
                    f"Composer asks before any send to more than {limit} addresses "
                    "(Send → Ask before sending to many…)."
                )
            if not self._ask(question, detail):
                self.window.statusBar().showMessage("Not sent: you chose not to.", 10_000)
                return False
        self._pending = prints
        return True

    def _ask(self, question: str, detail: str) -> bool:
        box = QMessageBox(self.window)
        box.setObjectName("confirmSendBox")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Send")
        box.setText(question)
        box.setInformativeText(detail)
        send = box.addButton("Send", QMessageBox.ButtonRole.AcceptRole)
        send.setObjectName("confirmSend")
        cancel = box.addButton("Don't send", QMessageBox.ButtonRole.RejectRole)
        cancel.setObjectName("dontSend")
        box.setDefaultButton(cancel)  # Enter, or a second Ctrl+Enter, does not send
        box.setEscapeButton(cancel)
        box.exec()
        box.deleteLater()
        return box.clickedButton() is send

    def choose_limit(self) -> None:
        """Send → Ask before sending to many…: the threshold, kept in the window's settings."""
        settings = self.window.settings
        value, ok = QInputDialog.getInt(
            self.window,
            "Ask before sending to many",
            "Ask before a send to more than this many addresses:",
            settings.ask_above,
            0,
            1_000_000,
        )
        if ok:
            settings.ask_above = value
            settings.save()

    def _finished(self, report: Any) -> None:
        went = report is not None and (report.count(Status.SENT) or report.count(Status.UNKNOWN))
        if went and self._pending:
            self.last_sent = self._pending
        self._pending = set()
        self.window.show_problems(self.window.model.problems)
