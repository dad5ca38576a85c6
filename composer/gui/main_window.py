"""The compose window: edit a Draft, see exactly what recipients get, send without a freeze.

This module lays the window out and wires its parts; each job lives in its own room:
``preview.schedule`` (when to render, which result to show), ``drafts`` (new / open / save /
autosave / recovery), ``sending`` (Send and its answers), ``tasks`` (background work).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from composer import __version__
from composer.app.context import Context
from composer.core.draft import Draft
from composer.core.problems import Problem
from composer.gui.compose import BodyTabs, HeaderFields
from composer.gui.drafts import DraftActions
from composer.gui.model import DraftModel
from composer.gui.preview.panel import PreviewPanel
from composer.gui.preview.schedule import PreviewSchedule
from composer.gui.sending import SendActions, SendController, SendPanel
from composer.gui.tasks import cancel_tasks, run_task

if TYPE_CHECKING:
    from composer.gui.preview.pipeline import PreviewResult

__all__ = ["MainWindow"]


class MainWindow(QMainWindow):
    def __init__(
        self, context: Context, draft: Draft | None = None, *, recover: bool = False
    ) -> None:
        super().__init__()
        self.context = context  # the app's folders and stores (composer.app.context)
        from composer.gui.attachments import AttachmentsPanel
        from composer.gui.options import OptionsPane
        from composer.gui.recipients import RecipientsPane

        self.model = DraftModel(draft)
        self.profile_name = "local"
        self._problems_shown: tuple[Any, ...] = ()

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
        self._fit_to_screen(1280, 820)

        self.send_controller = SendController(context, self)
        self.sending = SendActions(self)
        self.send_button.clicked.connect(lambda: self.sending.send())
        self.drafts = DraftActions(self)
        self.schedule = PreviewSchedule(self.model, self.preview, self)
        self.schedule.current.connect(self._preview_current)
        self.header.profile_chosen.connect(self._profile_chosen)
        self.model.changed.connect(self._edited)
        # Metadata rows that do not parse never reach the Draft: the pane reports them itself.
        self.options.metadata.local_problems_changed.connect(lambda _p: self.schedule.render())
        self.model.problems_changed.connect(self.show_problems)
        self.model.dirty_changed.connect(lambda _d: self.update_title())
        self._build_menus()
        from composer.gui.inline_images import InlineImages  # Insert → Inline image…, drops

        self.inline_images = InlineImages(self.model, self.body.body, self)
        self.inline_images.install(self.menuBar())
        self.update_title()
        self.show_problems(self.model.problems)
        self._load_profiles()
        # The preview's web view and the first render wait for the window's first paint, so
        # the window is on screen and usable first.
        self.schedule.start_after_first_paint(central)
        if recover:
            QTimer.singleShot(0, self.drafts.offer_recovery)

    # --- menus ------------------------------------------------------------------------------


    def _fit_to_screen(self, width: int, height: int) -> None:
        """The preferred size, but never larger than the screen's free area (a 1366×768
        laptop has under 740 pixels for a window once the title bar and a panel are drawn)."""
        screen = self.screen()
        if screen is not None:
            free = screen.availableGeometry()
            frame = 40  # title bar and borders, which resize() does not count
            width = min(width, free.width())
            height = min(height, free.height() - frame)
        self.resize(width, height)
    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar, d, send = self.menuBar(), self.drafts, self.sending
        f = bar.addMenu("&File")
        self._action(f, "&New", d.new_draft, QKeySequence.StandardKey.New)
        self._action(f, "&Open…", lambda: d.open_draft(), QKeySequence.StandardKey.Open)
        self.recent_menu = f.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(lambda: d.fill_recent(self.recent_menu))
        self._action(f, "&Save", d.save, QKeySequence.StandardKey.Save)
        self._action(f, "Save &As…", d.save_as, QKeySequence.StandardKey.SaveAs)
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        s = bar.addMenu("&Send")
        self.send_action = self._action(s, "&Send", lambda: send.send(), "Ctrl+Return")
        self._action(s, "Send (Enter)", lambda: send.send(), "Ctrl+Enter").setVisible(False)
        self._action(s, "&Test send to a seed list…", send.test_send)
        self._action(s, "&Profiles…", self.show_profiles)
        v = bar.addMenu("&View")
        self._action(v, "Send &history", self.show_history)
        self._action(v, "Sandbox &mailbox", self.show_sandbox)
        self._action(v, "&Outbox", self.show_outbox)

    # --- what the draft's state shows -------------------------------------------------------

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.drafts.title} — Composer {__version__}")

    def _edited(self, _fields: list[str]) -> None:
        self.sending.relay_problems = []
        self.schedule.edited()
        self.drafts.edited()

    def _preview_current(self, result: PreviewResult) -> None:
        """The preview shows the draft as it is now: its problems are the draft's problems."""
        if result.rendered is not None:
            self.body.show_generated_text(result.rendered.text)
        self.model.set_problems(
            result.problems + self.options.metadata.local_problems + self.sending.relay_problems
        )
        self.show_problems(self.model.problems)  # "Ready" depends on the preview too

    def show_problems(self, problems: list[Problem]) -> None:
        errors = [p for p in problems if p.is_error]
        ready = not errors and self.schedule.generation == self.model.generation
        shown = (tuple(problems), ready, self.send_controller.busy)
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
        self.send_button.setEnabled(not errors and not self.send_controller.busy)
        self.send_action.setEnabled(not errors)
        reasons = "\n".join(str(p) for p in errors)
        self.send_button.setToolTip(
            f"Fix these first:\n{reasons}" if errors else "Send (Ctrl+Enter)"
        )
        self.send_state.setText(
            f"{len(errors)} error(s) to fix" if errors else ("Ready" if ready else "")
        )

    def sending_started(self) -> None:
        self.send_button.setEnabled(False)
        self._problems_shown = ()  # the button changed behind show_problems' back

    # --- profiles ---------------------------------------------------------------------------

    def _profile_chosen(self, name: str) -> None:
        self.profile_name = name or "local"
        self._show_key_status()

    def _show_key_status(self) -> None:
        name = self.profile_name

        def status() -> str:  # the keyring may block on D-Bus: never on the UI thread
            profile = self.context.profiles().get(name)
            if profile.provider.value == "local":
                return "the built-in sandbox relay on this computer: no account needed"
            where = f"{profile.preset.label}, {profile.host}:{profile.port}"
            if not profile.needs_key:
                return f"{where}: no key needed"
            # Only here: keyring's import (its backends' entry points) costs 50+ ms of CPU,
            # which the start with the local profile would pay while the preview starts.
            from composer.transport.profiles.credentials import key_status

            return f"{where}: API key {key_status(name)}"

        def show(text: str) -> None:
            if name == self.profile_name:
                self.header.key_status.setText(text)

        run_task(status, show, lambda exc: self.header.key_status.setText(str(exc)), owner=self)

    def _load_profiles(self) -> None:
        def load() -> tuple[list[str], str]:
            store = self.context.profiles()
            return [p.name for p in store.list()], store.default_name or "local"

        def loaded(value: tuple[list[str], str]) -> None:
            names, default = value
            self.profile_name = default
            self.header.set_profiles(names, default)
            self._show_key_status()

        run_task(load, loaded, lambda exc: self.preview.status.setText(str(exc)), owner=self)

    # --- dialogs ----------------------------------------------------------------------------

    def show_history(self) -> None:
        from composer.gui.dialogs.history import HistoryDialog

        HistoryDialog(self.context, self).show()

    def show_outbox(self) -> None:
        from composer.gui.dialogs.outbox import OutboxDialog  # pending, failed, unknown

        # a damaged outbox: the dialog names it and closes
        OutboxDialog(self.context, self).show()

    def show_sandbox(self) -> None:
        from composer.gui.dialogs.sandbox import SandboxDialog
        from composer.gui.preview.copy_viewer import CopyViewer

        dialog = SandboxDialog(self.context, self)
        dialog.open_copy.connect(lambda path: CopyViewer(path, self).show())
        dialog.show()

    def show_profiles(self) -> None:
        from composer.gui.dialogs.profiles import ProfilesDialog

        dialog = ProfilesDialog(self.context, self)
        dialog.finished.connect(lambda _r: self._load_profiles())
        dialog.show()

    def showEvent(self, event: Any) -> None:
        self.schedule.reopen()
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.drafts.confirm_discard():
            event.ignore()
            return
        self.send_controller.shutdown()
        # Renders, autosaves and key-status probes still running finish on the pool; their
        # results must not reach a closed window (its web views are gone below).
        self.schedule.stop()
        cancel_tasks(self)
        self.drafts.close()
        self.preview.dispose()
        event.accept()
