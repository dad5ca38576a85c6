"""The Add / Edit form of the profiles dialog: one profile's fields, the preset's note, the key.

Pure UI: building a ``Profile`` only validates (no disk, no network). The API key is read out
once, as a ``Secret``, and goes nowhere but to the caller (who hands it to ``set_api_key``).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from composer.core.checks.caniemail import split_client_ids
from composer.core.checks.model import DEFAULT_CLIENTS
from composer.gui.dialogs.common import ERROR_STYLE, screen_of
from composer.gui.tasks import run_task
from composer.transport.profiles.credentials import ENV_VAR, Secret
from composer.transport.profiles.keyring_help import WHY_MEMORY_ONLY, keyring_help
from composer.transport.profiles.providers import PRESETS, Preset, Provider
from composer.transport.profiles.store import Profile

__all__ = ["ProfileForm"]

CLIENTS_TIP = (
    "The email clients the Checks tab, composer check and composer send check this profile's "
    "messages against: caniemail client ids, separated by commas (like gmail.ios, "
    "outlook.windows). Empty: the default set (" + ", ".join(DEFAULT_CLIENTS) + "). "
    "composer check --clients overrides it for one run."
)


def _known_clients() -> dict[str, str]:
    from composer.core.checks.caniemail import known_clients

    return known_clients()


class ProfileForm(QGroupBox):
    """Fields for one profile. ``save_requested`` / ``cancel_requested`` when clicked."""

    save_requested = Signal()
    cancel_requested = Signal()
    session_requested = Signal()  # no keyring: keep the typed key in memory until quit
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Profile", parent)
        self.setObjectName("profileForm")
        self.editing: str | None = None  # the saved profile being edited; None: a new one
        # What the form does not show (the REST road, a fallback port) is kept from the saved
        # profile: saving an edit used to turn a REST profile into an SMTP one.
        self._unshown: dict[str, object] = {}
        self.name_edit = self._line("nameEdit", "letters, digits, '.', '_' or '-'")
        self.provider_combo = QComboBox()
        self.provider_combo.setObjectName("providerCombo")
        for preset in PRESETS.values():
            self.provider_combo.addItem(preset.label, preset.provider.value)
        self.provider_combo.currentIndexChanged.connect(self._provider_changed)
        self.note_label = QLabel()
        self.note_label.setObjectName("providerNote")
        self.note_label.setWordWrap(True)
        self.host_edit = self._line("hostEdit", "smtp.example.com")
        self.port_spin = QSpinBox()
        self.port_spin.setObjectName("portSpin")
        self.port_spin.setRange(1, 65535)
        self.subaccount_edit = self._line("subaccountEdit", "optional: numeric subaccount id")
        self.workspace_edit = self._line("workspaceEdit", "the Bird workspace id")
        self.from_edit = self._line("fromEdit", "optional: Ann <ann@example.com>")
        # The clients the pre-send checks target for this profile (issue 14); empty: the default
        self.clients_edit = self._line("clientsEdit", "default: " + ", ".join(DEFAULT_CLIENTS))
        self.clients_edit.setToolTip(CLIENTS_TIP)
        self.tls_check = QCheckBox("STARTTLS (required for any relay not on this computer)")
        self.tls_check.setObjectName("tlsCheck")
        self.key_edit = self._line("keyEdit", "")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel()
        self.error_label.setObjectName("formError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("saveButton")
        self.save_button.clicked.connect(self.save_requested)
        cancel = QPushButton("Cancel")
        cancel.setObjectName("cancelButton")
        cancel.clicked.connect(self.cancel_requested)
        # Shown only when the keyring refused the key: the way out that is not a variable.
        self.session_offer = QLabel()
        self.session_offer.setObjectName("sessionKeyOffer")
        self.session_offer.setWordWrap(True)
        self.session_offer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.session_button = QPushButton("Use this key until Composer &quits")
        self.session_button.setObjectName("sessionKeyButton")
        self.session_button.setToolTip(
            "Keep the key in memory only: used for sends until Composer quits, never written "
            "to disk"
        )
        self.session_button.clicked.connect(self.session_requested)
        self._hide_session_offer()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)

        form = QFormLayout(self)
        form.addRow("Name", self.name_edit)
        form.addRow("Provider", self.provider_combo)
        form.addRow("", self.note_label)
        form.addRow("Host", self.host_edit)
        form.addRow("Port", self.port_spin)
        form.addRow("Subaccount", self.subaccount_edit)
        form.addRow("Workspace", self.workspace_edit)
        form.addRow("Default From", self.from_edit)
        form.addRow("Check for clients", self.clients_edit)
        form.addRow("", self.tls_check)
        form.addRow("API key", self.key_edit)
        form.addRow(self.error_label)
        form.addRow(self.session_offer)
        form.addRow(self.session_button)
        form.addRow(buttons)
        # ProfileError.field -> the widget to put the cursor in
        self.fields: dict[str, QWidget] = {
            "name": self.name_edit,
            "provider": self.provider_combo,
            "host": self.host_edit,
            "port": self.port_spin,
            "subaccount": self.subaccount_edit,
            "workspace": self.workspace_edit,
            "default_from": self.from_edit,
            "clients": self.clients_edit,
            "tls": self.tls_check,
            "api key": self.key_edit,
        }
        self._provider_changed()
        # The known ids come from the vendored caniemail data: read off the UI thread, once
        # (then cached for the whole process, so validating on Save reads nothing).
        run_task(_known_clients, self._show_known_clients, lambda _exc: None, owner=self)

    def _show_known_clients(self, known: dict[str, str]) -> None:
        lines = [f"{cid}  ({name})" for cid, name in sorted(known.items())]
        self.clients_edit.setToolTip(CLIENTS_TIP + "\n\nKnown ids:\n" + "\n".join(lines))

    def _line(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    @property
    def preset(self) -> Preset:
        return PRESETS[Provider(self.provider_combo.currentData())]

    # --- filling ------------------------------------------------------------------------------

    def start_new(self) -> None:
        self.editing = None
        self._unshown = {}
        self.setTitle("New profile")
        self.name_edit.setReadOnly(False)
        for edit in (self.name_edit, self.subaccount_edit, self.workspace_edit, self.from_edit,
                     self.clients_edit):  # fmt: skip
            edit.clear()
        self.provider_combo.setCurrentIndex(0)
        self._provider_changed()
        self._opened(self.name_edit)

    def start_edit(self, profile: Profile) -> None:
        self.editing = profile.name
        self._unshown = {
            "api": profile.api,
            "api_url": profile.api_url,
            "fallback_port": profile.fallback_port,
            "connections": profile.connections,  # saving an edit used to reset it to 4
        }
        self.setTitle(f"Profile {profile.name}")
        self.name_edit.setText(profile.name)
        self.name_edit.setReadOnly(True)  # a new name is a new profile (keys are per name)
        self.provider_combo.setCurrentIndex(self.provider_combo.findData(profile.provider.value))
        self._provider_changed()
        self.host_edit.setText(profile.host)
        self.port_spin.setValue(profile.port)
        self.subaccount_edit.setText(profile.subaccount or "")
        self.workspace_edit.setText(profile.workspace or "")
        self.from_edit.setText(profile.default_from)
        self.clients_edit.setText(", ".join(profile.clients))
        self.tls_check.setChecked(profile.tls)
        self._opened(self.host_edit)

    def mark_saved(self, name: str) -> None:
        """The profile exists now: saving again replaces it."""
        self.editing = name
        self.name_edit.setReadOnly(True)

    def offer_session(self) -> None:
        """The keyring cannot keep the key: offer memory, say why, say how to get a keyring."""
        self.session_offer.setText(
            f"{WHY_MEMORY_ONLY} Or set {ENV_VAR} before starting Composer.\n"
            f"To keep the key across restarts: {keyring_help()}"
        )
        self.session_offer.show()
        self.session_button.show()
        self.session_button.setFocus()
        self._grow_to_fit()

    def _grow_to_fit(self) -> None:
        """Room for the offer's lines: the dialog grows (within the screen), never shrinks."""
        top = self.window()
        screen = screen_of(top)  # not top.screen(): see dialogs/common.py
        limit = screen.availableGeometry().height() - 40 if screen is not None else 10_000
        wanted = min(max(top.height(), top.sizeHint().height()), limit)
        if wanted > top.height():
            top.resize(top.width(), wanted)

    def _hide_session_offer(self) -> None:
        self.session_offer.clear()
        self.session_offer.hide()
        self.session_button.hide()

    def _opened(self, focus: QWidget) -> None:
        self.key_edit.clear()
        self._hide_session_offer()
        self.error_label.clear()
        self.save_button.setEnabled(True)
        self.show()
        focus.setFocus()

    def _provider_changed(self, *_args: object) -> None:
        preset = self.preset
        self.note_label.setText(preset.note)
        self.note_label.setVisible(bool(preset.note))
        self.host_edit.setText(preset.host or "")
        self.port_spin.setValue(preset.port)
        self.tls_check.setChecked(preset.tls)
        for edit, used in (
            (self.subaccount_edit, preset.subaccount),
            (self.workspace_edit, preset.workspace),
            (self.key_edit, preset.needs_key),
        ):
            edit.setEnabled(used)
            if not used:
                edit.clear()
        # short enough to read whole in the dialog's field; the tooltip says it all
        self.key_edit.setPlaceholderText(
            "keyring only, or in memory until Composer quits; empty keeps the stored key"
            if preset.needs_key
            else "not needed"
        )
        self.key_edit.setToolTip(
            "Stored in the system keyring only, never in a file; without a keyring, kept in "
            "memory until Composer quits. Leave it empty to keep the key already stored."
            if preset.needs_key
            else "This relay takes no API key"
        )

    # --- reading ------------------------------------------------------------------------------

    def profile(self) -> Profile:
        """The profile as typed; raises ProfileError naming the field."""
        return Profile.new(
            self.name_edit.text().strip(),
            self.provider_combo.currentData(),
            host=self.host_edit.text().strip() or None,
            port=self.port_spin.value(),
            subaccount=self.subaccount_edit.text().strip() or None,
            workspace=self.workspace_edit.text().strip() or None,
            default_from=self.from_edit.text().strip(),
            clients=split_client_ids(self.clients_edit.text()),  # checked by Profile
            tls=self.tls_check.isChecked(),
            **self._unshown,
        )

    def key(self) -> Secret | None:
        """The key typed, if any (and if the provider takes one)."""
        typed = self.key_edit.text()
        return Secret(typed) if typed.strip() and self.preset.needs_key else None

    def show_error(self, text: str, field: str | None = None) -> None:
        self.error_label.setText(text)
        self.save_button.setEnabled(True)
        widget = self.fields.get(field or "")
        if widget is not None:
            widget.setFocus()

    def close_form(self) -> None:
        self.key_edit.clear()
        self._hide_session_offer()
        self.error_label.clear()
        self.editing = None
        self.hide()
        self.closed.emit()
