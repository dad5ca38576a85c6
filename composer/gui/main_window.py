"""The compose window: edit a Draft, see exactly what recipients get, send without a freeze.

This module lays the window out and wires its parts; each job lives in its own room:
``preview.schedule`` (when to render, which result to show), ``drafts`` (new / open / save /
autosave / recovery), ``sending`` (Send and its answers), ``tasks`` (background work).
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QPushButton,
)

from composer import __version__
from composer.app.context import Context
from composer.core.draft import Draft
from composer.core.problems import Problem
from composer.gui.compose import BodyTabs, HeaderFields
from composer.gui.drafts import DraftActions
from composer.gui.drawer import FIELDS, Drawer
from composer.gui.keyboard import free_tab_keys
from composer.gui.menus import install_edit_menu, install_file_actions
from composer.gui.model import DraftModel
from composer.gui.preview.panel import PreviewPanel
from composer.gui.preview.schedule import PreviewSchedule
from composer.gui.profile_sender import ProfileSender
from composer.gui.resend import SendGuard
from composer.gui.sections import ProblemLine, show_on_line
from composer.gui.sending import SendActions, SendController, SendPanel
from composer.gui.settings import WindowSettings
from composer.gui.tasks import cancel_tasks, run_task
from composer.gui.window_layout import WindowLayout

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
        self._profiles_listed = False  # until then the default profile is chosen when listed
        self._problems_shown: tuple[Any, ...] = ()

        self.settings = WindowSettings(context.settings_folder)
        self.header = HeaderFields(self.model)
        self.body = BodyTabs(self.model)
        self.recipients = RecipientsPane(self.model)
        self.options = OptionsPane(self.model)
        self.attachments = AttachmentsPanel(self.model)
        self.preview = PreviewPanel()
        # The body gets the room; the rest folds to one summary line each (gui/drawer.py).
        self.drawer = Drawer(
            self.model,
            self.body,
            {
                "recipients": ("Cc / Bcc / Archive", self.recipients),
                "options": ("Relay options", self.options),
                "attachments": ("Attachments", self.attachments),
            },
            self.settings,
        )

        self.problem_line = ProblemLine("problemLine", "Other problems")
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("sendButton")
        self.send_button.setAccessibleName("Send")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_state = QLabel()
        self.send_state.setObjectName("sendState")
        self.send_panel = SendPanel()
        self.send_summary = QLabel()
        self.send_summary.setObjectName("sendSummary")
        self.layout_ = WindowLayout(self)  # places all of the above (gui/window_layout.py)
        self.split, self.results_split = self.layout_.split, self.layout_.results_split

        self.send_controller = SendController(context, self)
        self.send_guard = SendGuard(self)  # before SendActions: it asks before each send
        self.sending = SendActions(self)
        self.send_button.clicked.connect(lambda: self.sending.send())
        self.send_controller.started.connect(self.layout_.show_results)
        for ended in (
            self.send_controller.finished,
            self.send_controller.failed,
            self.send_controller.copies_held,
        ):  # the outcome stays in the status bar when the results pane is closed
            ended.connect(lambda _x: self.send_summary.setText(self.send_panel.label.text()))
        self.drafts = DraftActions(self)
        self.schedule = PreviewSchedule(self.model, self.preview, self)
        self.schedule.current.connect(self._preview_current)
        from composer.gui.preview import checks_tab  # the Checks tab beside the preview's

        self.checks_tab = checks_tab.install(self)
        self.header.profile_chosen.connect(self._profile_chosen)
        self.header.key_status.linkActivated.connect(lambda _link: self.show_profiles(key=True))
        self.profile_sender = ProfileSender(self.model)  # a profile's From fills an empty From
        self.model.changed.connect(self._edited)
        # Metadata rows that do not parse never reach the Draft: the pane reports them itself.
        self.options.metadata.local_problems_changed.connect(lambda _p: self.schedule.render())
        self.model.problems_changed.connect(self.show_problems)
        self.model.dirty_changed.connect(lambda _d: self.update_title())
        self._build_menus()
        from composer.gui.inline_images import InlineImages  # Insert → Inline image…, drops

        self.inline_images = InlineImages(self.model, self.body.body, self)
        self.inline_images.install(self.menuBar())
        free_tab_keys(self)  # Tab leaves every table, however many rows it holds
        self.update_title()
        self.show_problems(self.model.problems)
        self._load_profiles()
        # The preview's web view and the first render wait for the window's first paint, so
        # the window is on screen and usable first.
        self.schedule.start_after_first_paint(self.split)
        if recover:
            QTimer.singleShot(0, self.drafts.offer_recovery)

    # --- menus ------------------------------------------------------------------------------

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
        from composer.gui.snippets import SnippetActions
        from composer.gui.template_actions import TemplateActions

        self.templates = TemplateActions(self)  # File → New from template…, Save as template…
        self.templates.add_to_file_menu(f)
        self.snippets = SnippetActions(self)
        self.file_actions = install_file_actions(self, f)  # open / import / export (menus.py)
        f.addSeparator()
        self._action(f, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        s = bar.addMenu("&Send")
        self.send_action = self._action(s, "&Send", lambda: send.send(), "Ctrl+Return")
        self._action(s, "Send (Enter)", lambda: send.send(), "Ctrl+Enter").setVisible(False)
        self._action(s, "&Test send to a seed list…", send.test_send)
        self._action(s, "&Ask before sending to many…", self.send_guard.choose_limit)
        self._action(s, "&Profiles…", self.show_profiles)
        v = bar.addMenu("&View")
        self._action(v, "Send &history", self.show_history)
        self._action(v, "Sandbox &mailbox", self.show_sandbox)
        self._action(v, "&Outbox", self.show_outbox)
        self.edit_menu = install_edit_menu(self)  # after File; find bar (menus.py)
        insert = self.snippets.add_menu(bar).menuAction()  # snippets, the Ctrl+K palette
        # File, Edit, Insert, then Send and View: the menus for writing come first.
        bar.removeAction(insert)
        bar.insertAction(s.menuAction(), insert)
        v.addSeparator()
        self.results_action = self._action(v, "Send &results", self.layout_.toggle_results)
        self.results_action.setCheckable(True)
        v.aboutToShow.connect(lambda: self.results_action.setChecked(self.send_panel.isVisible()))

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
        """Send's state. Each problem is shown once, next to its field (a folded panel counts
        them on its summary line); the line by Send holds only those with no field on screen."""
        errors = [p for p in problems if p.is_error]
        ready = not errors and self.schedule.generation == self.model.generation
        again = ready and self.send_guard.unchanged()
        shown = (tuple(problems), ready, again, self.send_controller.busy)
        if shown == self._problems_shown:  # most previews change nothing here
            return
        self._problems_shown = shown
        show_on_line(self.problem_line, [p for p in problems if not _has_home(p)])
        self.send_button.setEnabled(not errors and not self.send_controller.busy)
        reasons = "\n".join(str(p) for p in errors)
        self.send_button.setToolTip(
            f"Fix these first:\n{reasons}" if errors else "Send (Ctrl+Enter)"
        )
        n = len(errors)
        state = f"{n} error{'s' * (n != 1)} to fix" if errors else ("Ready" if ready else "")
        if again:
            state = "Sent — sending again asks first"
        self.send_state.setText(state)
        self.send_state.setToolTip(reasons)

    def reveal_problems(self) -> None:
        """A try to send with errors: every field's problems show, and the first takes focus."""
        self.header.reveal()
        self.body.reveal()
        first = next(iter(self.model.errors), None)
        if first is not None:
            for key, fields in FIELDS.items():
                if any(first.field.split("[")[0].split(".")[0] == f for f in fields):
                    self.drawer.open(key)
            h = self.header
            widgets = {"from": h.from_field, "to": h.to_field, "subject": h.subject}
            widget = widgets.get(first.field.split("[")[0], self.body.body)
            widget.setFocus()
        self.statusBar().showMessage("Not sent: fix the marked fields first.", 10_000)

    def sending_started(self) -> None:
        self.send_button.setEnabled(False)
        self._problems_shown = ()  # the button changed behind show_problems' back

    # --- profiles ---------------------------------------------------------------------------

    def _profile_chosen(self, name: str) -> None:
        self.profile_name = name or "local"
        self._show_key_status()

    def _show_key_status(self) -> None:
        name = self.profile_name

        def status() -> tuple[str, Any]:  # the keyring may block on D-Bus: not the UI thread
            profile = self.context.profiles().get(name)
            if profile.provider.value == "local":
                return "the built-in sandbox relay on this computer: no account needed", profile
            where = f"{profile.preset.label}, {profile.host}:{profile.port}"
            if not profile.needs_key:
                return f"{where}: no key needed", profile
            # Only here: keyring's import (its backends' entry points) costs 50+ ms of CPU,
            # which the start with the local profile would pay while the preview starts.
            from composer.transport.profiles.credentials import key_status

            status = key_status(name)
            if status.startswith("keyring unavailable"):  # the way out that needs no variable
                status = "missing (no keyring)"
            if status.startswith("missing"):  # a link: the profile's form, cursor in the key
                link = '<a href="key">Enter it…</a>'
                return f"{html.escape(where)}: API key {status} — {link}", profile
            return html.escape(f"{where}: API key {status}"), profile

        def show(value: tuple[str, Any]) -> None:
            text, profile = value
            if name == self.profile_name:
                self.header.key_status.setText(text)
                self.header.key_status.setToolTip(re.sub("<[^>]+>", "", text))
                self.profile_sender.set_default(profile.default_from)
                self.options.set_provider(profile.provider.value, profile.api)  # its defaults
                self.drawer.set_relay(profile.provider.value, profile.api)

        run_task(status, show, lambda exc: self.header.key_status.setText(str(exc)), owner=self)

    def _load_profiles(self) -> None:
        def load() -> tuple[list[str], str]:
            store = self.context.profiles()
            return [p.name for p in store.list()], store.default_name or "local"

        def loaded(value: tuple[list[str], str]) -> None:
            names, default = value
            chosen = self.profile_name if self._profiles_listed else default
            self.profile_name = chosen if chosen in names else default  # a choice outlives edits
            self._profiles_listed = True
            self.header.set_profiles(names, self.profile_name)
            self._show_key_status()

        run_task(load, loaded, lambda exc: self.preview.status.setText(str(exc)), owner=self)

    def new_window(self) -> MainWindow:
        """Another compose window on the same context, shown; it lives until it is closed."""
        window = MainWindow(self.context)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        _WINDOWS.add(window)  # a top-level window needs an owner on the Python side
        window.destroyed.connect(lambda _o=None: _WINDOWS.discard(window))
        window.show()
        return window

    # --- dialogs ----------------------------------------------------------------------------

    def show_history(self) -> None:
        from composer.gui.dialogs.history import open_history  # one, following the sends

        open_history(self)

    def show_outbox(self) -> None:
        from composer.gui.dialogs.outbox import OutboxDialog  # pending, failed, unknown

        # a damaged outbox: the dialog names it and closes
        OutboxDialog(self.context, self).show()

    def show_sandbox(self) -> None:
        from composer.gui.dialogs.sandbox import SandboxDialog
        from composer.gui.preview.copy_viewer import follow_copies

        dialog = SandboxDialog(self.context, self)
        dialog.open_copy.connect(follow_copies(self))  # one viewer, following the selection
        dialog.show()

    def show_profiles(self, key: bool = False, name: str | None = None) -> None:
        from composer.gui.dialogs.profiles import ProfilesDialog

        dialog = ProfilesDialog(self.context, self)
        if key:  # "Enter it…" beside a missing key: straight to that profile's key
            dialog.edit_key_of(name or self.profile_name)
        dialog.finished.connect(lambda _r: self._load_profiles())
        dialog.profiles_changed.connect(self.schedule.render)  # checks follow its clients
        dialog.show()

    def showEvent(self, event: Any) -> None:
        self.schedule.reopen()
        super().showEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.sending.confirm_quit():  # a send is running: say so first (issue 15 #9)
            event.ignore()
            return
        if not self.drafts.confirm_discard():
            event.ignore()
            return
        self.send_controller.shutdown()
        # Renders, autosaves and key-status probes still running finish on the pool; their
        # results must not reach a closed window (its web views are gone below).
        self.schedule.stop()
        self.layout_.save()
        cancel_tasks(self)
        self.drafts.close()
        self.preview.dispose()
        event.accept()


_WINDOWS: set[MainWindow] = set()  # the windows new_window() opened, until each closes
_HOMES = (  # fields shown next to their own widget (DraftModel.problems_for prefixes)
    "from", "to", "subject", "body", "amp_html", "cc", "bcc", "archive",
    "campaign_id", "tags", "metadata", "options.ip_pool", "attachments",
)  # fmt: skip


def _has_home(p: Problem) -> bool:
    return any(p.field == h or p.field.startswith((h + "[", h + ".")) for h in _HOMES)
