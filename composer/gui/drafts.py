"""The window's draft actions: new, open, save, save as, open recent, autosave, and what an
earlier session left behind (autosaved drafts to recover, an outbox to recover).

Everything that touches the disk runs on the task runner, except a deliberate save, which the
person waits for (one small atomic file: they must know it worked before, say, closing).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from composer.core.draft import Draft, load_draft
from composer.gui.tasks import run_task

if TYPE_CHECKING:
    from composer.app.context import Context
    from composer.gui.main_window import MainWindow
    from composer.store.drafts import DraftStore

__all__ = ["DraftActions"]

AUTOSAVE_AFTER_MS = 3000
AUTOSAVE_EVERY_MS = 60_000


class DraftActions(QObject):
    """The draft the window edits: where it lives on disk (``path``), its autosave file
    (``draft_id``), and the File menu's actions."""

    def __init__(self, window: MainWindow, store: DraftStore | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.model = window.model
        self.store = store or window.context.drafts()
        self.draft_id = uuid.uuid4().hex
        self.path: Path | None = None
        self._autosave_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_AFTER_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._periodic = QTimer(self, interval=AUTOSAVE_EVERY_MS)
        self._periodic.timeout.connect(self.autosave)
        self._periodic.start()

    @property
    def title(self) -> str:
        name = self.path.name if self.path else "Untitled"
        return f"{'*' if self.model.dirty else ''}{name}"

    def edited(self) -> None:
        self._autosave_timer.start()

    def autosave(self) -> None:
        if not self.model.dirty:
            return
        draft, draft_id, store = self.model.snapshot(), self.draft_id, self.store
        source = str(self.path) if self.path else None
        run_task(
            lambda: store.autosave(draft_id, draft, source),
            _ignore,
            lambda exc: self.window.statusBar().showMessage(f"Autosave failed: {exc}", 10000),
            owner=self.window,
        )

    def confirm_discard(self) -> bool:
        if not self.model.dirty:
            return True
        answer = QMessageBox.question(
            self.window,
            "Unsaved changes",
            "Save the changes to this draft first?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_draft(self) -> None:
        if self.confirm_discard():
            self.store.discard(self.draft_id)
            self.load(Draft(), None)

    def open_draft(self, path: str | None = None) -> None:
        if not self.confirm_discard():
            return
        if not path:
            path, _ = QFileDialog.getOpenFileName(
                self.window, "Open draft", "", "Composer drafts (*.json);;All files (*)"
            )
        if path:
            chosen = path
            run_task(
                lambda: load_draft(chosen),
                lambda d: self._opened(d, Path(chosen)),
                self._unreadable,
                owner=self.window,
            )

    def _unreadable(self, exc: BaseException) -> None:
        QMessageBox.warning(self.window, "Open draft", str(exc))

    def _opened(self, draft: Draft, path: Path) -> None:
        from composer.gui.attachments import keep_outside_attachments
        from composer.gui.inline_images import keep_outside_inline_images

        kept = keep_outside_attachments(self.window, draft, str(path))
        kept = keep_outside_inline_images(self.window, kept, str(path))
        self.store.discard(self.draft_id)
        self.load(kept, path, dirty=kept is not draft)
        store = self.store
        run_task(lambda: store.add_recent(str(path)), _ignore, _ignore, owner=self.window)

    def load(self, draft: Draft, path: Path | None, *, dirty: bool = False) -> None:
        self.draft_id = uuid.uuid4().hex
        self.path = path
        self.window.preview.reset_remote_content()
        self.model.replace_draft(draft, dirty=dirty)
        self.window.update_title()

    def fill_recent(self, menu: QMenu) -> None:
        menu.clear()
        for p in self.store.recent():
            menu.addAction(p).triggered.connect(lambda _c=False, p=p: self.open_draft(p))

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self.write(self.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save draft as", "draft.json", "Composer drafts (*.json)"
        )
        return bool(path) and self.write(Path(path))

    def write(self, path: Path) -> bool:
        # A deliberate save waits for its write: the person asked for it and must know it
        # worked before, say, closing. It is one small atomic file.
        try:
            self.store.save_as(path, self.model.snapshot())
        except Exception as exc:
            QMessageBox.warning(self.window, "Save draft", str(exc))
            return False
        self.path = path
        self.model.mark_saved()
        self.store.discard(self.draft_id)
        self.store.add_recent(str(path))
        self.window.update_title()
        return True

    # --- what an earlier session left ---------------------------------------------------------

    def offer_recovery(self) -> None:
        store = self.store

        def offer(found: list[Any]) -> None:
            if not found and not store.problems:
                return
            # Imported only when there is something to offer: ~120 ms of start-up otherwise.
            from composer.gui.dialogs.recovery import RecoveryDialog

            recover, discard = RecoveryDialog.ask(self.window, found, store.problems)
            if recover:
                # The first here, each other in a window of its own: none is left unopened.
                first, *others = recover
                self.load_recovered(first)
                for r in others:
                    self.window.new_window().drafts.load_recovered(r)
                if others:
                    self.window.statusBar().showMessage(
                        f"Recovered {len(recover)} drafts: the others are open in their own "
                        "windows.",
                        30_000,
                    )
            ids = [d.draft_id for d in discard]

            def forget() -> None:
                for i in ids:
                    store.discard(i)

            run_task(forget, _ignore, _ignore, owner=self.window)

        run_task(store.recoverable, offer, _ignore, owner=self.window)
        context = self.window.context
        run_task(
            lambda: _recover_outbox(context),
            self._outbox_recovered,
            self._outbox_unreadable,
            owner=self.window,
        )

    def load_recovered(self, r: Any) -> None:
        self.load(r.draft, Path(r.source_path) if r.source_path else None, dirty=True)
        self.draft_id = r.draft_id  # keep autosaving into the recovered file

    def _outbox_recovered(self, counts: tuple[int, int]) -> None:
        queued, unknown = counts
        if queued or unknown:
            self.window.statusBar().showMessage(
                f"From an earlier session: {queued} message(s) waiting to be sent, {unknown} "
                "that may have been sent — see View → Outbox.",
                30_000,
            )

    def _outbox_unreadable(self, exc: BaseException) -> None:
        from composer.core.errors import OutboxDamaged

        if isinstance(exc, OutboxDamaged):  # every send will refuse: say why now
            QMessageBox.warning(self.window, "Outbox damaged", str(exc))

    def close(self) -> None:
        """The window closes (after confirm_discard): no autosave later, and this session's
        autosave file goes. (The window forgets its pending tasks' callbacks.)"""
        self._periodic.stop()
        self._autosave_timer.stop()
        self.store.discard(self.draft_id)


def _ignore(_value: object) -> None:
    """For background chores whose outcome needs no word (a stale autosave removed)."""


def _recover_outbox(context: Context) -> tuple[int, int]:
    """After a crash: the outbox's "sending" items go back to the queue and "awaiting" ones
    become unknown — unless another process is still sending (the outbox's lock)."""
    from composer.store.outbox_items import QUEUED

    with context.outbox() as outbox:
        _requeued, unknown = outbox.recover_on_start()
        return len(outbox.items(QUEUED)), unknown
