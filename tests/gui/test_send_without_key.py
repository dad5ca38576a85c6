"""A send from the window that fails for want of an API key says what to do in the window —
"Enter the key…", kept until Composer quits or in the keyring — with a button that opens that
profile's key field; the variable comes second, for scripts. Followed through: the key typed
there (no keyring: kept for the session) and Send again reaches a real SMTP relay on loopback.
"""

from __future__ import annotations

from pathlib import Path

import keyring.backends.fail
import pytest
import trustme
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from support.gui import WAIT
from support.keyrings import MemoryKeyring
from support.smtp_faults import GOOD_KEY, FaultServer

from composer.gui.dialogs.profiles import ProfilesDialog
from composer.transport.profiles import credentials
from composer.transport.profiles.store import Profile


@pytest.fixture
def relay(tmp_path: Path):
    server = FaultServer(trustme.CA(), tmp_path, tls=False).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("COMPOSER_API_KEY", raising=False)
    yield
    credentials.forget_session_key("ent")  # the process outlives the test


def _click_when_shown(box_name: str, button: str, seen: list[str]) -> None:
    """Click ``button`` of the message box ``box_name`` once it shows (bounded, ~20 s);
    ``seen`` gets its text and informative text."""
    tries = [0]

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == box_name:
            seen.append(box.text() + "\n" + box.informativeText())
            box.findChild(QPushButton, button).click()
        elif isinstance(box, QMessageBox):  # another box: noted and closed, so nothing hangs
            seen.append(f"[{box.objectName()}] {box.text()}\n{box.informativeText()}")
            box.reject()
        elif tries[0] < 2000:
            tries[0] += 1
            QTimer.singleShot(10, look)

    QTimer.singleShot(0, look)


def _write_and_send(qtbot, window, *, wait_for) -> None:  # type: ignore[no-untyped-def]
    if not window.model.draft.subject:
        qtbot.waitUntil(lambda: window.header.profile.findText("ent") >= 0, timeout=WAIT)
        window.header.profile.setCurrentText("ent")
        h = window.header
        for field, text in ((h.from_field, "Ann <ann@example.com>"),
                            (h.to_field, "bob@example.com"), (h.subject, "Keyless")):  # fmt: skip
            field.setFocus()
            qtbot.keyClicks(field, text)
        window.body.body.setFocus()
        qtbot.keyClicks(window.body.body, "Hello")
    qtbot.waitUntil(
        lambda: window.send_button.isEnabled()
        and window.schedule.generation == window.model.generation,
        timeout=WAIT,
    )
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    with qtbot.waitSignal(wait_for, timeout=WAIT):
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


@pytest.mark.parametrize("backend", ["no keyring", "keyring"])
def test_no_key_says_enter_it_and_opens_the_profiles_key_field(
    qtbot, window, context, relay, use_keyring, backend: str
) -> None:
    use_keyring(keyring.backends.fail.Keyring() if backend == "no keyring" else MemoryKeyring())
    context.profiles().add(
        Profile.new("ent", "custom", host="127.0.0.1", port=relay.port, tls=False)
    )
    window._load_profiles()  # the profile was added behind the window's back
    seen: list[str] = []
    _click_when_shown("keyNeededBox", "enterKey", seen)
    _write_and_send(qtbot, window, wait_for=window.send_controller.failed)

    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)
    text = seen[0]
    assert text.startswith("Nothing was sent"), text
    assert "Enter the key… (kept until Composer quits, or in the keyring)" in text
    assert "“ent”" in text
    # the variable is still named, after what to do in the window, and for scripts
    assert text.index("COMPOSER_API_KEY") > text.index("Enter the key…")
    assert "For scripts" in text
    if backend == "no keyring":
        assert "no keyring on this computer" in text
    assert "no API key" in window.send_panel.label.text()
    assert relay.received == []

    # the button opened the profile's form, the cursor in its key
    dialog = window.findChild(ProfilesDialog)
    qtbot.waitUntil(lambda: dialog is not None and dialog.form.isVisible(), timeout=WAIT)
    form = dialog.form
    assert form.editing == "ent"
    qtbot.waitUntil(form.key_edit.hasFocus, timeout=WAIT)
    qtbot.keyClicks(form.key_edit, GOOD_KEY)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    if backend == "no keyring":
        qtbot.waitUntil(form.session_button.isVisible, timeout=WAIT)
        qtbot.mouseClick(form.session_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
    dialog.close()

    # Send again: it goes, with the key just typed, through the profile still chosen (closing
    # the profiles dialog used to put the window back on the default profile, the sandbox)
    qtbot.waitUntil(lambda: "ent" in window.header.key_status.text() or
                    "127.0.0.1" in window.header.key_status.text(), timeout=WAIT)  # fmt: skip
    assert window.header.profile.currentText() == "ent" and window.profile_name == "ent"
    _write_and_send(qtbot, window, wait_for=window.send_controller.finished)
    assert len(relay.received) == 1 and relay.handler.logins == ["LOGIN"]
