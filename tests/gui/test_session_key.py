"""Issue 15 item 6: without a Secret Service the window keeps a typed key in memory until it
quits (after saying why), and sends with it; the key is in no file and not in QSettings.

The same steps with a real keyring backend class (kept in memory, tests/support/keyrings.py)
store the key in the keyring and offer nothing."""

from __future__ import annotations

import base64
from pathlib import Path

import keyring.backends.fail
import pytest
import trustme
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from support.gui import WAIT
from support.keyrings import MemoryKeyring
from support.smtp_faults import GOOD_KEY, FaultServer

from composer.gui.dialogs.profiles import ProfilesDialog
from composer.transport.profiles import credentials
from composer.transport.profiles.keyring_help import keyring_help


@pytest.fixture
def relay(tmp_path: Path):
    server = FaultServer(trustme.CA(), tmp_path, tls=False).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _forget_session_keys():
    yield
    credentials.forget_session_key("ent")  # the process outlives the test


def _add_profile(qtbot, window, port: int) -> ProfilesDialog:
    window.show_profiles()
    dialog = window.findChild(ProfilesDialog)  # the one this window opened
    qtbot.waitUntil(lambda: dialog.table.rowCount() >= 1, timeout=WAIT)
    form = dialog.form
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    form.provider_combo.setCurrentIndex(form.provider_combo.findData("custom"))
    qtbot.keyClicks(form.name_edit, "ent")
    qtbot.keyClicks(form.host_edit, "127.0.0.1")
    form.port_spin.selectAll()
    qtbot.keyClicks(form.port_spin, str(port))
    form.tls_check.setChecked(False)  # a relay on this computer
    qtbot.keyClicks(form.key_edit, GOOD_KEY)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    return dialog


def _send(qtbot, window) -> object:
    window.header.profile.setCurrentText("ent")
    for field, text in (
        (window.header.from_field, "Ann <ann@example.com>"),
        (window.header.to_field, "bob@example.com"),
        (window.header.subject, "Keyless"),
    ):
        field.setFocus()
        qtbot.keyClicks(field, text)
    window.body.body.setFocus()
    qtbot.keyClicks(window.body.body, "Hello")
    qtbot.waitUntil(
        lambda: window.send_button.isEnabled()
        and window.schedule.generation == window.model.generation,
        timeout=WAIT,
    )
    window.activateWindow()  # the profiles dialog was the active window
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT)
    with qtbot.waitSignal(window.send_controller.finished, timeout=WAIT) as sent:
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    return sent.args[0]


def _assert_key_nowhere(home: Path) -> None:
    needles = [GOOD_KEY.encode(), base64.b64encode(GOOD_KEY.encode())]
    for f in home.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert not any(n in data for n in needles), f"the key was written to {f}"
    settings = QSettings()
    for key in settings.allKeys():
        assert GOOD_KEY not in str(settings.value(key)), f"the key is in QSettings {key}"
    if Path(settings.fileName()).is_file():
        assert GOOD_KEY.encode() not in Path(settings.fileName()).read_bytes()


def test_without_a_keyring_the_key_is_kept_in_memory_and_sends(
    qtbot, window, relay, use_keyring, composer_home: Path
) -> None:
    use_keyring(keyring.backends.fail.Keyring())
    dialog = _add_profile(qtbot, window, relay.port)
    form = dialog.form
    qtbot.waitUntil(lambda: form.session_button.isVisible(), timeout=WAIT)
    offer = form.session_offer.text()
    assert "never writes an API key to a file" in offer  # why memory only
    assert keyring_help() in offer and "restart Composer" in offer  # how to get one here
    assert GOOD_KEY not in offer + form.error_label.text()
    qtbot.mouseClick(form.session_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=WAIT)
    assert "kept in memory until Composer quits" in dialog.status.text()

    def listed_in_memory() -> bool:
        rows = {dialog.table.item(r, 0).text(): r for r in range(dialog.table.rowCount())}
        return "ent" in rows and "kept in memory" in dialog.table.item(rows["ent"], 3).text()

    qtbot.waitUntil(listed_in_memory, timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
    dialog.close()
    qtbot.waitUntil(lambda: window.header.profile.findText("ent") >= 0, timeout=WAIT)

    report = _send(qtbot, window)
    assert report.count("sent") == 1, [r.error for r in report.results]
    assert len(relay.received) == 1 and relay.handler.logins == ["LOGIN"]
    qtbot.waitUntil(lambda: "kept in memory" in window.header.key_status.text(), timeout=WAIT)
    _assert_key_nowhere(composer_home)


def test_with_a_keyring_the_key_goes_there_and_nothing_is_offered(
    qtbot, window, relay, use_keyring, composer_home: Path
) -> None:
    backend = use_keyring(MemoryKeyring())
    dialog = _add_profile(qtbot, window, relay.port)
    qtbot.waitUntil(lambda: not dialog.form.isVisible(), timeout=WAIT)
    assert not dialog.form.session_button.isVisible()
    assert backend.entries == {("composer-mail", "ent"): GOOD_KEY}
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
    dialog.close()
    qtbot.waitUntil(lambda: window.header.profile.findText("ent") >= 0, timeout=WAIT)
    report = _send(qtbot, window)
    assert report.count("sent") == 1, [r.error for r in report.results]
    _assert_key_nowhere(composer_home)


def test_the_session_key_is_never_pickled_and_forgotten_on_remove(use_keyring) -> None:
    import pickle

    use_keyring(keyring.backends.fail.Keyring())
    credentials.keep_for_session("ent", GOOD_KEY)
    assert credentials.key_status("ent") == credentials.SESSION_STATUS
    assert credentials.get_api_key("ent").reveal() == GOOD_KEY
    with pytest.raises(TypeError):
        pickle.dumps(credentials.get_api_key("ent"))
    assert credentials.delete_api_key("ent") is True
    assert credentials.key_status("ent").startswith("keyring unavailable")


def test_without_a_keyring_a_rest_profiles_key_typed_in_edit_sends(
    qtbot, window, use_keyring, composer_home: Path, tmp_path: Path
) -> None:
    """The same over the REST API, with the key typed into an existing profile (Edit)."""
    import socket

    from support.http_faults import GOOD_KEY as REST_KEY
    from support.http_faults import FaultApi

    from composer.transport.profiles.store import Profile

    use_keyring(keyring.backends.fail.Keyring())
    api = FaultApi(trustme.CA(), tmp_path, tls=False).start()
    try:
        with socket.socket() as closed:  # the profile's SMTP port: nothing listens there
            closed.bind(("127.0.0.1", 0))
            smtp_port = closed.getsockname()[1]
        restful = Profile.new(
            "ent", "custom", host="127.0.0.1", port=smtp_port, api="rest", api_url=api.url
        )
        window.context.profiles().add(restful)
        window.show_profiles()
        dialog = window.findChild(ProfilesDialog)
        qtbot.waitUntil(lambda: dialog.table.rowCount() == 2, timeout=WAIT)
        dialog.select("ent")
        qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
        form = dialog.form
        qtbot.keyClicks(form.key_edit, REST_KEY)
        qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(form.session_button.isVisible, timeout=WAIT)
        qtbot.keyClick(form.session_button, Qt.Key.Key_Space)  # it has the focus: a keyboard user
        qtbot.waitUntil(lambda: not form.isVisible(), timeout=WAIT)
        qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
        dialog.close()
        qtbot.waitUntil(lambda: window.header.profile.findText("ent") >= 0, timeout=WAIT)
        report = _send(qtbot, window)
        assert report.count("sent") == 1, [r.error for r in report.results]
        posts = [r for r in api.received if r.method == "POST"]
        assert len(posts) == 1 and posts[0].authorization == REST_KEY
        found = [p for p in composer_home.rglob("*") if p.is_file()
                 and REST_KEY.encode() in p.read_bytes()]  # fmt: skip
        assert found == []
    finally:
        api.stop()
        credentials.forget_session_key("ent")


def test_a_missing_key_links_straight_to_the_profiles_key_field(
    qtbot, context, monkeypatch, use_keyring
) -> None:
    from support.gui import main_window

    from composer.transport.profiles.store import Profile

    use_keyring(keyring.backends.fail.Keyring())
    context.profiles().add(Profile.new("ent", "sparkpost"))
    context.profiles().set_default("ent")
    with main_window(qtbot, monkeypatch, context) as w:
        label = w.header.key_status
        qtbot.waitUntil(lambda: "Enter it…" in label.text(), timeout=WAIT)
        assert "no keyring" in label.text() and "<a" not in label.toolTip()
        label.linkActivated.emit("key")  # the link's own signal, as a click on it sends
        dialog = w.findChild(ProfilesDialog)
        qtbot.waitUntil(lambda: dialog.form.isVisible(), timeout=WAIT)
        assert dialog.form.editing == "ent"
        qtbot.waitUntil(dialog.form.key_edit.hasFocus, timeout=WAIT)
        qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=WAIT)
        dialog.close()
