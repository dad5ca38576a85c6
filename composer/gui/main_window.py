"""The compose window: edit a Draft, see exactly what recipients get, send without a freeze."""

from __future__ import annotations

import gc
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from composer import __version__
from composer.core.draft import Draft, Recipient, load_draft, read_address_lines
from composer.core.problems import Problem
from composer.gui.compose import BodyTabs, HeaderFields
from composer.gui.model import DraftModel
from composer.gui.preview.panel import PreviewPanel
from composer.gui.sending import SendController, SendPanel
from composer.gui.tasks import cancel_tasks, run_task

if TYPE_CHECKING:
    from composer.gui.preview.pipeline import PreviewResult

# No fixed delay: an edit renders on the next event-loop turn (coalescing that turn's edits),
# and while a render runs, later edits wait for it and then get one render for all of them
# (_render_busy/_render_again). A 200 ms debounce was most of the keystroke-to-preview time.
PREVIEW_DEBOUNCE_MS = 0
# The preview renders on a worker thread while the UI thread runs. Every Qt call releases the
# GIL, and a busy worker then keeps it for up to the switch interval (5 ms by default) before
# the UI thread gets it back: a handful of Qt calls per keystroke became 30-60 ms stalls while
# typing (tests/bench/bench_preview.py, cProfile: QThreadPool.start 5 ms per call). 0.5 ms
# bounds each wait; the worker loses little (its C parts - lxml, css-inline - run unaffected).
GIL_SWITCH_INTERVAL_S = 0.0005
# A result already behind the latest edit is dropped (the next render is for that edit): each
# shown result costs the UI thread 3-12 ms (the document handed to the page, the panes told of
# its problems), so showing every intermediate result while someone types faster than the
# renderer made typing stutter (tests/bench: 93 gaps over 16 ms in a 200-key burst, against 2).
# The preview is never left more than this far behind: in a long burst it moves once a second.
STALE_PREVIEW_AT_MOST_S = 1.0
AUTOSAVE_AFTER_MS = 3000
AUTOSAVE_EVERY_MS = 60_000


def _compute(draft: Draft, generation: int) -> PreviewResult:
    # Imported on the worker: the pipeline (render, build, the relay's fan-out) is not needed
    # for the window's first paint.
    from composer.gui.preview.pipeline import compute

    return compute(draft, generation)


class MainWindow(QMainWindow):
    def __init__(self, draft: Draft | None = None, *, recover: bool = False) -> None:
        super().__init__()
        if sys.getswitchinterval() > GIL_SWITCH_INTERVAL_S:
            sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
        from composer.gui.attachments import AttachmentsPanel
        from composer.gui.options import OptionsPane
        from composer.gui.recipients import RecipientsPane
        from composer.store.drafts import DraftStore

        self.model = DraftModel(draft)
        self.drafts = DraftStore()
        self.draft_id = uuid.uuid4().hex
        self.path: Path | None = None
        self.profile_name = "local"
        self._render_busy = False
        self._render_again = False
        self._modules_at_freeze = 0
        self._shown_at = 0.0
        self._problems_shown: tuple[Any, ...] = ()
        self._relay_problems: list[Problem] = []
        self._closed = False  # between closeEvent and the next show: start no render

        self.header = HeaderFields(self.model)
        self.body = BodyTabs(self.model)
        self.recipients = RecipientsPane(self.model)
        self.options = OptionsPane(self.model)
        self.attachments = AttachmentsPanel(self.model)
        self.preview = PreviewPanel()
        extras = QTabWidget()
        extras.setObjectName("extrasTabs")
        extras.addTab(self.recipients, "Cc / Bcc / Archive")
        extras.addTab(self.options, "Relay options")
        extras.addTab(self.attachments, "Attachments")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.header)
        split_left = QSplitter(Qt.Orientation.Vertical)
        split_left.addWidget(self.body)
        split_left.addWidget(extras)
        split_left.setSizes([420, 300])
        left_layout.addWidget(split_left, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.preview)
        split.setSizes([620, 620])

        self.problem_list = QListWidget()
        self.problem_list.setObjectName("problemList")
        self.problem_list.setAccessibleName("Problems")
        self.problem_list.setMaximumHeight(72)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setAccessibleName("Send")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.clicked.connect(self.send)
        self.send_state = QLabel()
        self.send_state.setObjectName("sendState")
        self.send_panel = SendPanel()
        bottom = QHBoxLayout()
        bottom.addWidget(self.problem_list, 1)
        side = QVBoxLayout()
        side.addWidget(self.send_button)
        side.addWidget(self.send_state)
        side.addStretch(1)
        bottom.addLayout(side)

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.addWidget(split, 1)
        lay.addLayout(bottom)
        lay.addWidget(self.send_panel)
        self.setCentralWidget(central)
        self.resize(1280, 820)

        self.sender = SendController(self)
        self.sender.progress.connect(self.send_panel.add_result)
        self.sender.finished.connect(self._send_finished)
        self.sender.failed.connect(self._send_failed)
        self.sender.copies_held.connect(self._ask_new_copies)
        self.send_panel.cancel_requested.connect(self.sender.cancel)
        self.header.profile_chosen.connect(self._profile_chosen)

        self._render_timer = QTimer(self, singleShot=True, interval=PREVIEW_DEBOUNCE_MS)
        self._render_timer.timeout.connect(self._render)
        self._autosave_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_AFTER_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._periodic = QTimer(self, interval=AUTOSAVE_EVERY_MS)
        self._periodic.timeout.connect(self.autosave)
        self._periodic.start()
        self.model.changed.connect(self._edited)
        # Metadata rows that do not parse never reach the Draft: the pane reports them itself.
        self.options.metadata.local_problems_changed.connect(lambda _p: self._render())
        self.model.problems_changed.connect(self._show_problems)
        self.model.dirty_changed.connect(lambda _d: self._update_title())
        self._build_menus()
        self._update_title()
        self._show_problems(self.model.problems)
        self._load_profiles()
        # The preview's web view and the first render wait for the window's first paint, so
        # the window is on screen and usable first (see _start_preview).
        self._preview_started = False
        central.installEventFilter(self)
        QTimer.singleShot(0, self._start_preview_if_hidden)
        if recover:
            QTimer.singleShot(0, self._offer_recovery)

    def eventFilter(self, obj: Any, event: Any) -> bool:
        if not self._preview_started and event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, self._start_preview)
        return False

    def _start_preview_if_hidden(self) -> None:
        if not self.isVisible():  # never shown (a test, a headless use): no paint to wait for
            self._start_preview()

    def _start_preview(self) -> None:
        if self._preview_started or self._closed:  # a paint's timer can fire after the close
            return
        self._preview_started = True
        self.centralWidget().removeEventFilter(self)
        self._render()
        self.preview.start_views()

    # --- menus ------------------------------------------------------------------------------

    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        f = bar.addMenu("&File")
        self._action(f, "&New", self.new_draft, QKeySequence.StandardKey.New)
        self._action(f, "&Open…", self.open_draft, QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._action(f, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._action(f, "Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs)
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        s = bar.addMenu("&Send")
        self.send_action = self._action(s, "&Send", self.send, "Ctrl+Return")
        self._action(s, "Send (Enter)", self.send, "Ctrl+Enter").setVisible(False)
        self._action(s, "&Test send to a seed list…", self.test_send)
        self._action(s, "&Profiles…", self.show_profiles)
        v = bar.addMenu("&View")
        self._action(v, "Send &history", self.show_history)
        self._action(v, "Sandbox &mailbox", self.show_sandbox)
        self._action(v, "&Outbox", self.show_outbox)

    # --- preview pipeline -------------------------------------------------------------------

    def _edited(self, _fields: list[str]) -> None:
        self._relay_problems = []
        self._render_timer.start()
        self._autosave_timer.start()

    def _render(self) -> None:
        if self._closed:
            return
        if self._render_busy:  # one render at a time; the latest edit gets the next one
            self._render_again = True
            return
        self._render_busy = True
        draft, generation = self.model.snapshot(), self.model.generation
        run_task(
            lambda: _compute(draft, generation), self._rendered, self._render_failed, owner=self
        )

    def _rendered(self, result: PreviewResult) -> None:
        self._render_busy = False
        if self._render_again or result.generation != self.model.generation:
            self._render_again = False
            self._render()  # an edit came in meanwhile: render the latest next
        if result.generation != self.model.generation:
            shown = self.preview.result
            recent = time.monotonic() - self._shown_at < STALE_PREVIEW_AT_MOST_S
            if recent or (shown is not None and shown.generation >= result.generation):
                return
            # ...but a screen more than a second old shows this newer one meanwhile (the
            # preview only: its problems are already out of date, the next result brings them).
            self._shown_at = time.monotonic()
            self.preview.show_result(result)
            return
        self._freeze_long_lived()
        self._shown_at = time.monotonic()
        self.preview.show_result(result)
        if result.rendered is not None:
            self.body.show_generated_text(result.rendered.text)
        self.model.set_problems(
            result.problems + self.options.metadata.local_problems + self._relay_problems
        )
        self._show_problems(self.model.problems)  # "Ready" depends on the preview too

    def _freeze_long_lived(self) -> None:
        """A full garbage collection walks every object the process holds (~20 ms per 40 000;
        Qt, premailer and cssutils bring far more) with the GIL held, so whichever thread
        triggers it stalls the UI thread. What is alive after start-up, and after an engine's
        first import, lives as long as the window: gc.freeze() takes it out of the collector's
        sight. Checked per result because the first render is what imports the engines."""
        if len(sys.modules) != self._modules_at_freeze:
            self._modules_at_freeze = len(sys.modules)
            gc.freeze()

    def _render_failed(self, exc: BaseException) -> None:
        self._render_busy = False
        self.preview.status.setText(f"The preview failed: {exc}")
        if self._render_again:
            self._render_again = False
            self._render()

    @property
    def preview_generation(self) -> int | None:
        r = self.preview.result
        return r.generation if r is not None else None

    def _show_problems(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.is_error]
        ready = not errors and self.preview_generation == self.model.generation
        shown = (tuple(problems), ready, self.sender.busy)
        if shown == self._problems_shown:  # most previews change nothing here
            return
        self._problems_shown = shown
        self.problem_list.clear()
        for p in problems:
            item = QListWidgetItem(f"{'Error' if p.is_error else 'Warning'} — {p}")
            item.setForeground(Qt.GlobalColor.darkRed if p.is_error else Qt.GlobalColor.darkYellow)
            self.problem_list.addItem(item)
        if not problems:
            item = QListWidgetItem("No problems found.")
            item.setForeground(Qt.GlobalColor.darkGreen)
            self.problem_list.addItem(item)
        self.send_button.setEnabled(not errors and not self.sender.busy)
        self.send_action.setEnabled(not errors)
        reasons = "\n".join(str(p) for p in errors)
        self.send_button.setToolTip(
            f"Fix these first:\n{reasons}" if errors else "Send (Ctrl+Enter)"
        )
        self.send_state.setText(
            f"{len(errors)} error(s) to fix" if errors else ("Ready" if ready else "")
        )

    # --- sending ----------------------------------------------------------------------------

    def send(self, seeds: list[Recipient] | None = None) -> None:
        if self.model.errors or self.sender.busy:
            return
        self.send_panel.start(len(seeds) if seeds else 1)
        self.send_button.setEnabled(False)
        self._problems_shown = ()  # the button changed behind _show_problems' back
        self.sender.send(self.model.snapshot(), self.profile_name, seeds or None)

    def test_send(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Seed list (one address per line)", "", "Text files (*.txt *.csv);;All files (*)"
        )
        if not path:
            return
        run_task(
            lambda: read_address_lines(Path(path).read_text(encoding="utf-8")),
            lambda seeds: self.send(seeds=seeds) if seeds else None,
            lambda exc: QMessageBox.warning(self, "Seed list", f"Cannot read it: {exc}"),
            owner=self,
        )

    def _send_finished(self, report: Any) -> None:
        sent, failed, unknown = (report.count(s) for s in ("sent", "failed", "unknown"))
        self.send_panel.finish(
            f"{sent} sent, {failed} failed, {unknown} may have been sent"
            + (" (cancelled)" if report.cancelled else "")
        )
        self._relay_problems = [
            Problem(r.field, f"the relay refused it: {r.error}")
            for r in report.results
            if r.field and r.status != "sent"
        ]
        if self._relay_problems:
            self.model.set_problems(self.model.problems + self._relay_problems)
        self._show_problems(self.model.problems)
        self._show_history_notices()

    def _send_failed(self, exc: BaseException) -> None:
        self.send_panel.finish("Not sent.")
        self._show_problems(self.model.problems)
        QMessageBox.warning(self, "Not sent", str(exc))
        self._show_history_notices()

    def _ask_new_copies(self, held: Any) -> None:
        """Copies of this send are still in the outbox (a send cut short): nothing went out.
        A second copy reaches people only if the person says so here."""
        self.send_panel.finish("Not sent: copies of this send are still in the outbox.")
        self._show_problems(self.model.problems)
        unknown = sum(i.state == "unknown" for i in held.held)
        box = QMessageBox(self)
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
        if box.clickedButton() is again and self.sender.send_new_copies():
            self.send_panel.start(self.send_panel.bar.maximum() or 1)
            self.send_button.setEnabled(False)
            self._problems_shown = ()
        elif box.clickedButton() is outbox:
            self.show_outbox()

    def _show_history_notices(self) -> None:
        from composer.store.history import take_notices

        for notice in take_notices():
            QMessageBox.warning(self, "Send history", notice)

    def _profile_chosen(self, name: str) -> None:
        self.profile_name = name or "local"
        self._show_key_status()

    def _show_key_status(self) -> None:
        name = self.profile_name

        def status() -> str:  # the keyring may block on D-Bus: never on the UI thread
            from composer.transport.credentials import key_status
            from composer.transport.profiles import ProfileStore

            profile = ProfileStore().get(name)
            if profile.provider.value == "local":
                return "the built-in sandbox relay on this computer: no account needed"
            where = f"{profile.preset.label}, {profile.host}:{profile.port}"
            if not profile.needs_key:
                return f"{where}: no key needed"
            return f"{where}: API key {key_status(name)}"

        def show(text: str) -> None:
            if name == self.profile_name:
                self.header.key_status.setText(text)

        run_task(status, show, lambda exc: self.header.key_status.setText(str(exc)), owner=self)

    def _load_profiles(self) -> None:
        def load() -> tuple[list[str], str]:
            from composer.transport.profiles import ProfileStore

            store = ProfileStore()
            return [p.name for p in store.list()], store.default_name or "local"

        def loaded(value: tuple[list[str], str]) -> None:
            names, default = value
            self.profile_name = default
            self.header.set_profiles(names, default)
            self._show_key_status()

        run_task(load, loaded, lambda exc: self.preview.status.setText(str(exc)), owner=self)

    # --- drafts -----------------------------------------------------------------------------

    def _update_title(self) -> None:
        name = self.path.name if self.path else "Untitled"
        self.setWindowTitle(f"{'*' if self.model.dirty else ''}{name} — Composer {__version__}")

    def autosave(self) -> None:
        if not self.model.dirty:
            return
        draft, draft_id = self.model.snapshot(), self.draft_id
        source = str(self.path) if self.path else None
        run_task(
            lambda: self.drafts.autosave(draft_id, draft, source),
            lambda _r: None,
            lambda exc: self.statusBar().showMessage(f"Autosave failed: {exc}", 10000),
            owner=self,
        )

    def _confirm_discard(self) -> bool:
        if not self.model.dirty:
            return True
        answer = QMessageBox.question(
            self,
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
        if self._confirm_discard():
            self.drafts.discard(self.draft_id)
            self._load(Draft(), None)

    def open_draft(self, path: str | None = None) -> None:
        if not self._confirm_discard():
            return
        if not path:
            path, _ = QFileDialog.getOpenFileName(
                self, "Open draft", "", "Composer drafts (*.json);;All files (*)"
            )
        if path:
            run_task(
                lambda: load_draft(path),
                lambda d: self._opened(d, Path(path)),
                lambda exc: QMessageBox.warning(self, "Open draft", str(exc)),
                owner=self,
            )

    def _opened(self, draft: Draft, path: Path) -> None:
        from composer.gui.attachments import keep_outside_attachments

        kept = keep_outside_attachments(self, draft, str(path))
        self.drafts.discard(self.draft_id)
        self._load(kept, path, dirty=kept is not draft)
        run_task(
            lambda: self.drafts.add_recent(str(path)), lambda _r: None, lambda _e: None, owner=self
        )

    def _load(self, draft: Draft, path: Path | None, *, dirty: bool = False) -> None:
        self.draft_id = uuid.uuid4().hex
        self.path = path
        self.preview.reset_remote_content()
        self.model.replace_draft(draft, dirty=dirty)
        self._update_title()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.drafts.recent():
            self._action(self.recent_menu, p, lambda _c=False, p=p: self.open_draft(p))

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save draft as", "draft.json", "Composer drafts (*.json)"
        )
        return bool(path) and self._write(Path(path))

    def _write(self, path: Path) -> bool:
        # A deliberate save waits for its write: the person asked for it and must know it
        # worked before, say, closing. It is one small atomic file.
        try:
            self.drafts.save_as(path, self.model.snapshot())
        except Exception as exc:
            QMessageBox.warning(self, "Save draft", str(exc))
            return False
        self.path = path
        self.model.mark_saved()
        self.drafts.discard(self.draft_id)
        self.drafts.add_recent(str(path))
        self._update_title()
        return True

    def _offer_recovery(self) -> None:
        def offer(found: list) -> None:
            if not found and not self.drafts.problems:
                return
            # Imported only when there is something to offer: ~120 ms of start-up otherwise.
            from composer.gui.dialogs.recovery import RecoveryDialog

            recover, discard = RecoveryDialog.ask(self, found, self.drafts.problems)
            if recover:
                r = recover[0]
                self._load(r.draft, Path(r.source_path) if r.source_path else None, dirty=True)
                self.draft_id = r.draft_id  # keep autosaving into the recovered file
            ids = [d.draft_id for d in discard]
            run_task(lambda: [self.drafts.discard(i) for i in ids], _ignore, _ignore, owner=self)

        run_task(self.drafts.recoverable, offer, _ignore, owner=self)
        run_task(_recover_outbox, self._outbox_recovered, self._outbox_unreadable, owner=self)

    def _outbox_recovered(self, counts: tuple[int, int]) -> None:
        queued, unknown = counts
        if queued or unknown:
            self.statusBar().showMessage(
                f"From an earlier session: {queued} message(s) waiting to be sent, {unknown} "
                "that may have been sent — see View → Outbox.",
                30_000,
            )

    def _outbox_unreadable(self, exc: BaseException) -> None:
        from composer.store.outbox import OutboxDamaged

        if isinstance(exc, OutboxDamaged):  # every send will refuse: say why now
            QMessageBox.warning(self, "Outbox damaged", str(exc))

    # --- dialogs ----------------------------------------------------------------------------

    def show_history(self) -> None:
        from composer.gui.dialogs.history import HistoryDialog

        HistoryDialog(self).show()

    def show_outbox(self) -> None:
        from composer.gui.dialogs.outbox import OutboxDialog  # pending, failed, unknown
        from composer.store.outbox import OutboxDamaged

        try:
            OutboxDialog(self).show()
        except OutboxDamaged as exc:
            QMessageBox.warning(self, "Outbox damaged", str(exc))

    def show_sandbox(self) -> None:
        from composer.gui.dialogs.sandbox import SandboxDialog
        from composer.gui.preview.copy_viewer import CopyViewer

        dialog = SandboxDialog(self)
        dialog.open_copy.connect(lambda path: CopyViewer(path, self).show())
        dialog.show()

    def show_profiles(self) -> None:
        from composer.gui.dialogs.profiles import ProfilesDialog

        dialog = ProfilesDialog(self)
        dialog.finished.connect(lambda _r: self._load_profiles())
        dialog.show()

    def showEvent(self, event: Any) -> None:
        self._closed = False
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._confirm_discard():
            event.ignore()
            return
        self.sender.shutdown()
        self._periodic.stop()
        self._render_timer.stop()
        self._autosave_timer.stop()
        # Renders and key-status probes still running finish on the pool; their results must
        # not reach a closed window (its web views are gone below). Shown again, it starts over.
        cancel_tasks(self)
        self._render_busy = self._render_again = False
        self._closed = True
        self.drafts.discard(self.draft_id)
        self.preview.dispose()
        event.accept()


def _ignore(_value: object) -> None:
    """For background chores whose outcome needs no word (a stale autosave removed)."""


def _recover_outbox() -> tuple[int, int]:
    """After a crash: the outbox's "sending" items go back to the queue and "awaiting" ones
    become unknown — unless another process is still sending (the outbox's lock)."""
    from composer.store.outbox import QUEUED, Outbox

    with Outbox() as outbox:
        _requeued, unknown = outbox.recover_on_start()
        return len(outbox.items(QUEUED)), unknown
