"""The profiles dialog: list, add / edit, remove, set default, test the connection.

API keys go from the password field straight to the keyring (``set_api_key``), wrapped in a
``Secret`` on the way: never into the profiles file, a log line or a message. Everything that
reads the profiles file, the keyring or the network runs in a task.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from composer.app.context import Context
from composer.app.profile_test import test_profile
from composer.core.errors import CredentialsError, KeyringUnavailable, ProfileError
from composer.gui.dialogs.common import (
    ERROR_COLOUR,
    OK_COLOUR,
    cell,
    error_text,
    fit_to_screen,
    make_table,
    show_message,
)
from composer.gui.dialogs.profile_form import ProfileForm
from composer.gui.tasks import TaskRunner
from composer.transport.base import Step
from composer.transport.profiles.credentials import (
    ENV_VAR,
    delete_api_key,
    keep_for_session,
    key_status,
    keyring_problem,
    set_api_key,
)
from composer.transport.profiles.store import Profile, ProfileStore

__all__ = ["ProfilesDialog"]

RESULT_TEXT = {True: "ok", False: "FAIL", None: "—"}
RESULT_COLOUR = {True: OK_COLOUR, False: ERROR_COLOUR, None: None}


@dataclass(frozen=True)
class _Listing:
    profiles: list[Profile]
    default: str | None
    key_status: dict[str, str]
    keyring_problem: str | None


def _load(store: ProfileStore) -> _Listing:
    profiles = store.list()
    statuses = {p.name: key_status(p.name) if p.needs_key else "not needed" for p in profiles}
    # Only a profile still without a key needs the keyring now (one kept in memory does not).
    wanted = any(s.startswith("keyring unavailable") for s in statuses.values())
    problem = keyring_problem() if wanted and not os.environ.get(ENV_VAR, "").strip() else None
    return _Listing(profiles, store.default_name, statuses, problem)


class ProfilesDialog(QDialog):
    """Where mail goes. Emits ``profiles_changed`` after every change that was saved."""

    COLUMNS = ("Name", "Provider", "Server", "API key", "Default")
    PROBE_COLUMNS = ("Step", "Result", "Detail")
    profiles_changed = Signal()
    loaded = Signal(int)  # profiles listed
    tested = Signal(list)  # the probe's steps

    def __init__(
        self, context: Context, parent: QWidget | None = None, store: ProfileStore | None = None
    ):
        super().__init__(parent)
        self.context = context
        self.setObjectName("profilesDialog")
        self.setWindowTitle("Sending profiles")
        fit_to_screen(self, 820, 640)
        self.store = store or context.profiles()
        self.tasks = TaskRunner(self)
        self.profiles: list[Profile] = []
        self.default_name: str | None = None
        # Asked before Remove; replaceable (tests, or a window with its own prompt style).
        self.confirm: Callable[[str], bool] = self._ask

        self.table = make_table(self.COLUMNS, "profilesTable")
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.status = QLabel()
        self.status.setObjectName("profilesStatus")
        self.status.setWordWrap(True)
        actions = QHBoxLayout()
        self.add_button = self._button("&Add…", "addButton", self.add_new, actions)
        self.edit_button = self._button("&Edit…", "editButton", self.edit_selected, actions)
        self.remove_button = self._button("Re&move", "removeButton", self.remove_selected, actions)
        self.default_button = self._button(
            "Set &default", "defaultButton", self.set_default_selected, actions
        )
        self.test_button = self._button("&Test", "testButton", self.test_selected, actions)
        actions.addStretch(1)
        self.probe_table = make_table(self.PROBE_COLUMNS, "probeResults")
        self.probe_table.setMaximumHeight(130)
        self.form = ProfileForm()
        self.form.save_requested.connect(self.save_form)
        self.form.cancel_requested.connect(self.form.close_form)
        self.form.session_requested.connect(self.keep_key_for_session)
        # The Test results make room for the form (on a laptop the dialog has no height to
        # spare for both): hidden while a profile is edited.
        self.form.closed.connect(self.probe_table.show)
        self.form.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(self.probe_table)
        layout.addWidget(self.form)
        layout.addWidget(close)
        self._update_buttons()
        self.refresh()

    def _button(self, text: str, name: str, slot: Callable[[], None], row: QHBoxLayout):
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    # --- the list -----------------------------------------------------------------------------

    def refresh(self) -> None:
        store = self.store
        self.tasks.run(lambda: _load(store), self._show, self._load_failed)

    def _show(self, listing: _Listing) -> None:
        selected = self.selected()
        self.profiles, self.default_name = listing.profiles, listing.default
        self.table.setRowCount(len(self.profiles))
        for row, p in enumerate(self.profiles):
            status = listing.key_status.get(p.name, "")
            key_tip = status
            if status.startswith("keyring unavailable"):
                key_tip = (
                    f"{status}. Edit the profile and type the key to use it until Composer "
                    f"quits, or set {ENV_VAR}."
                )
            server_tip = f"{p.host}:{p.port} as {p.username}"
            if not p.tls:
                server_tip += " (no TLS: a relay on this computer)"
            values = [
                cell(p.name),
                cell(p.preset.label),
                cell(f"{p.host}:{p.port}", server_tip),
                cell(status, key_tip, ERROR_COLOUR if status == "missing" else None),
                cell("default" if p.name == listing.default else ""),
            ]
            for col, item in enumerate(values):
                self.table.setItem(row, col, item)
            if selected is not None and p.name == selected.name:
                self.table.selectRow(row)
        self.table.resizeColumnsToContents()
        if listing.keyring_problem:
            show_message(
                self.status,
                f"{KeyringUnavailable(listing.keyring_problem)}. Or edit a profile and type its "
                "key: Composer then keeps it in memory until it quits.",
                error=True,
            )
        self._update_buttons()
        self.loaded.emit(len(self.profiles))

    def _load_failed(self, exc: BaseException) -> None:
        self.profiles = []
        self.table.setRowCount(0)
        show_message(self.status, error_text(exc), error=True)
        self._update_buttons()

    def selected(self) -> Profile | None:
        rows = {i.row() for i in self.table.selectedItems()}
        if len(rows) != 1:
            return None
        row = rows.pop()
        return self.profiles[row] if row < len(self.profiles) else None

    def select(self, name: str) -> None:
        for row, p in enumerate(self.profiles):
            if p.name == name:
                self.table.selectRow(row)

    def _update_buttons(self) -> None:
        profile = self.selected()
        for button in (self.edit_button, self.remove_button, self.test_button):
            button.setEnabled(profile is not None)
        self.default_button.setEnabled(profile is not None and profile.name != self.default_name)

    # --- add / edit ---------------------------------------------------------------------------

    def add_new(self) -> None:
        self.probe_table.hide()
        self.form.start_new()

    def edit_key_of(self, name: str) -> None:
        """Open ``name``'s form with the cursor in its API key (the window's "Enter the key…"),
        once the list has loaded."""

        def open_form(_rows: int) -> None:
            self.loaded.disconnect(open_form)
            self.select(name)
            profile = self.selected()
            if profile is not None:
                self.edit_selected()
                self.form.key_edit.setFocus()

        self.loaded.connect(open_form)

    def edit_selected(self) -> None:
        profile = self.selected()
        if profile is not None:
            self.probe_table.hide()
            self.form.start_edit(profile)

    def save_form(self) -> None:
        form = self.form
        form.error_label.clear()
        try:
            profile = form.profile()
        except ProfileError as exc:
            form.show_error(str(exc), exc.field)
            return
        secret = form.key()
        store, replace = self.store, form.editing is not None
        form.save_button.setEnabled(False)

        def save() -> CredentialsError | None:
            store.add(profile, replace=replace)
            if secret is None:
                return None
            try:
                set_api_key(profile.name, secret)
            except CredentialsError as exc:
                return exc  # the profile is saved; the key is not
            return None

        def failed(exc: BaseException) -> None:
            form.show_error(error_text(exc), getattr(exc, "field", None))

        self.tasks.run(save, lambda key_error: self._saved(profile, key_error), failed)

    def _saved(self, profile: Profile, key_error: CredentialsError | None) -> None:
        self.profiles_changed.emit()
        self.refresh()
        if key_error is None:
            self.form.close_form()
            show_message(self.status, f"Profile {profile.name!r} saved.")
            self.select(profile.name)
            return
        self.form.mark_saved(profile.name)
        if isinstance(key_error, KeyringUnavailable):  # the way out that needs no variable
            self.form.show_error(
                "The profile was saved, but the API key was not stored: no unlocked system "
                f"keyring is available ({key_error.reason})."
            )
            self.form.offer_session()
            return
        self.form.show_error(
            f"The profile was saved, but the API key was not stored: {key_error}", "api key"
        )

    def keep_key_for_session(self) -> None:
        """No keyring: the typed key stays in this process's memory until Composer quits."""
        form, name, secret = self.form, self.form.editing, self.form.key()
        if name is None or secret is None:
            form.show_error("Type the API key first.", "api key")
            return
        try:
            keep_for_session(name, secret)  # a dict in memory: nothing to wait for
        except CredentialsError as exc:
            form.show_error(str(exc), "api key")
            return
        form.close_form()
        show_message(
            self.status,
            f"The API key of {name!r} is kept in memory until Composer quits; it is not "
            "written anywhere.",
        )
        self.profiles_changed.emit()
        self.refresh()
        self.select(name)

    # --- actions on the selected profile ------------------------------------------------------

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Remove profile", text)
        return answer == QMessageBox.StandardButton.Yes

    def remove_selected(self) -> None:
        profile = self.selected()
        if profile is None:
            return
        key_note = " and its API key in the system keyring" if profile.needs_key else ""
        if not self.confirm(f"Remove the profile {profile.name!r}{key_note}?"):
            return
        store = self.store

        def remove() -> CredentialsError | None:
            store.remove(profile.name)
            try:
                delete_api_key(profile.name)
            except CredentialsError as exc:
                return exc if profile.needs_key else None
            return None

        def removed(key_error: CredentialsError | None) -> None:
            text = f"Profile {profile.name!r} removed."
            if key_error is not None:
                text += f" Its API key could not be deleted from the keyring: {key_error}"
            show_message(self.status, text, error=key_error is not None)
            if self.form.editing == profile.name:
                self.form.close_form()
            self.profiles_changed.emit()
            self.refresh()

        self.tasks.run(remove, removed, self._action_failed)

    def set_default_selected(self) -> None:
        profile = self.selected()
        if profile is None:
            return
        store = self.store

        def done(_: object) -> None:
            show_message(self.status, f"{profile.name!r} is now the default profile.")
            self.profiles_changed.emit()
            self.refresh()

        self.tasks.run(lambda: store.set_default(profile.name), done, self._action_failed)

    def test_selected(self) -> None:
        profile = self.selected()
        if profile is None:
            return
        self.test_button.setEnabled(False)
        self.probe_table.show()
        self.probe_table.setRowCount(0)
        show_message(self.status, f"Testing {profile.name} ({profile.host}:{profile.port})…")
        self.tasks.run(
            lambda: test_profile(self.context, profile),
            lambda steps: self._tested(profile, steps),
            self._test_failed,
        )

    def _tested(self, profile: Profile, steps: list[Step]) -> None:
        self.probe_table.setRowCount(len(steps))
        for row, step in enumerate(steps):
            self.probe_table.setItem(row, 0, cell(step.name))
            self.probe_table.setItem(
                row, 1, cell(RESULT_TEXT[step.ok], colour=RESULT_COLOUR[step.ok])
            )
            self.probe_table.setItem(row, 2, cell(step.detail))
        self.probe_table.resizeColumnsToContents()
        failed = [s for s in steps if s.ok is False]
        text = (
            f"{profile.name}: {failed[0].name} failed — {failed[0].detail}"
            if failed
            else f"{profile.name}: the relay accepted the login; nothing was sent."
        )
        show_message(self.status, text, error=bool(failed))
        self._update_buttons()
        self.tested.emit(steps)

    def _test_failed(self, exc: BaseException) -> None:
        show_message(self.status, f"The test could not start: {error_text(exc)}", error=True)
        self._update_buttons()

    def _action_failed(self, exc: BaseException) -> None:
        show_message(self.status, error_text(exc), error=True)
        self.refresh()
