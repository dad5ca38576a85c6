"""The small dialogs, driven as a person would (offscreen), against real files, a real SQLite
history, a real local relay over SMTP and a real keyring backend class kept in memory."""

from __future__ import annotations

import smtplib
import socket
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.backends.null
import keyring.errors
import pytest
import trustme
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QPushButton, QRadioButton, QWidget
from support.gui import on_screen
from support.http_faults import GOOD_KEY, FaultApi
from support.keyrings import MemoryKeyring

from composer.core.build import build_message
from composer.core.draft import Draft, Recipient
from composer.core.outcome import MessageResult, Status
from composer.gui.dialogs.common import ERROR_COLOUR, OK_COLOUR, WARN_COLOUR
from composer.gui.dialogs.history import HistoryDialog
from composer.gui.dialogs.profiles import ProfilesDialog
from composer.gui.dialogs.recovery import RecoveryDialog
from composer.gui.dialogs.sandbox import SandboxDialog
from composer.relay.server import LocalRelay
from composer.store.drafts import DraftStore
from composer.store.history import History
from composer.transport.profiles.store import Profile

KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


def idle(qtbot, dialog: QDialog) -> None:
    """Every background task of the dialog has called back."""
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=15000)


def click(qtbot, button: QWidget) -> None:
    assert button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def column(table, col: int) -> list[str]:
    return [table.item(r, col).text() for r in range(table.rowCount())]


def click_row(qtbot, table, row: int) -> None:
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def assert_no_key_in_files(root: Path) -> None:
    for f in root.rglob("*"):
        if f.is_file():
            assert KEY.encode() not in f.read_bytes(), f"the key was written to {f}"


# --- history ----------------------------------------------------------------------------------


def result(status: str, rcpt: list[str], **kw: Any) -> MessageResult:
    """A send's result, as History.record takes it."""
    return MessageResult(0, "<m@example.com>", "ann@example.com", rcpt, 900, Status(status),
                         attempts=1, **kw)  # fmt: skip


def test_history_dialog_shows_the_recorded_sends(context, qtbot, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with History(path) as history:
        history.record(profile="prod", host="smtp.sparkpostmail.com", subject="Hello",
                       result=result("sent", ["bob@example.com"], code=250,
                                     reply="2.0.0 OK 1 message queued"))  # fmt: skip
        unknown = result("unknown", ["a@example.com", "b@example.com"],
                         error="the connection dropped after the final '.'")  # fmt: skip
        history.record(profile="prod", host="smtp.sparkpostmail.com", subject="News",
                       result=unknown)  # fmt: skip
    dialog = on_screen(qtbot, HistoryDialog(context, None, history_path=path))
    assert dialog.objectName() == "historyDialog"
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2)
    table = dialog.table
    # newest first
    assert column(table, 1) == ["may have been sent", "sent"]
    assert column(table, 2) == ["prod", "prod"]
    assert column(table, 3) == ["a@example.com, b@example.com", "bob@example.com"]
    assert column(table, 4) == ["News", "Hello"]
    assert column(table, 5) == ["the connection dropped after the final '.'",
                                "250 2.0.0 OK 1 message queued"]  # fmt: skip
    assert table.item(0, 1).foreground().color().name() == WARN_COLOUR
    assert table.item(1, 1).foreground().color().name() == OK_COLOUR
    assert "2 sends" in dialog.status.text()

    with History(path) as history:
        history.record(profile="local", host="127.0.0.1", subject="Oops",
                       result=result("failed", ["c@example.com"], code=550,
                                     reply="5.7.1 refused", error="refused"))  # fmt: skip
    with qtbot.waitSignal(dialog.loaded, timeout=15000) as blocker:
        click(qtbot, dialog.findChild(QPushButton, "refreshButton"))
    assert blocker.args == [3]
    assert table.item(0, 1).text() == "failed"
    assert table.item(0, 1).foreground().color().name() == ERROR_COLOUR
    idle(qtbot, dialog)


def test_history_dialog_without_any_send(context, qtbot, composer_home: Path) -> None:
    dialog = on_screen(qtbot, HistoryDialog(context, None))
    qtbot.waitUntil(lambda: "Nothing sent yet" in dialog.status.text())
    assert dialog.table.rowCount() == 0
    assert not context.paths.history_db.exists()  # looking does not create a database
    idle(qtbot, dialog)


# --- sandbox ----------------------------------------------------------------------------------


def test_sandbox_dialog_lists_what_the_local_relay_delivered(context, qtbot) -> None:
    draft = Draft(
        from_addr=Recipient("ann@example.com", "Ann"),
        to=[Recipient("bob@example.com", "Bob")],
        cc=[Recipient("carol@example.com")],
        bcc=[Recipient("dave@example.com")],
        subject="Sandbox check",
        body="Hello",
    )
    message = build_message(draft)
    with LocalRelay(context.paths.sandbox, idle_timeout=30) as relay,\
            smtplib.SMTP(relay.host, relay.port, timeout=15) as smtp:  # fmt: skip
        refused = smtp.sendmail(
            message.envelope.mail_from, list(message.envelope.rcpt_to), message.data
        )
        assert refused == {}

    dialog = on_screen(qtbot, SandboxDialog(context, None))
    assert dialog.objectName() == "sandboxDialog"
    table = dialog.table
    qtbot.waitUntil(lambda: table.rowCount() == 3)
    by_type = dict(zip(column(table, 2), column(table, 1), strict=True))
    assert by_type == {"to": "bob@example.com", "cc": "carol@example.com",
                       "bcc": "dave@example.com"}  # fmt: skip
    assert set(column(table, 3)) == {"Sandbox check"}
    assert len(set(column(table, 4))) == 1 and column(table, 4)[0].isdigit()

    row = column(table, 2).index("bcc")
    with qtbot.waitSignal(dialog.open_copy, timeout=5000) as opened:
        click_row(qtbot, table, row)
    (path,) = opened.args
    assert isinstance(path, Path) and path == dialog.copies[row].path and path.is_file()
    qtbot.waitUntil(lambda: "Delivered-To: dave@example.com" in dialog.headers.toPlainText())
    headers = dialog.headers.toPlainText()
    assert dialog.headers.isReadOnly()
    assert "Subject: Sandbox check" in headers and "Bcc:" in headers
    assert "Hello" not in headers.split("Subject:")[0]  # headers only, no body

    other = column(table, 2).index("to")
    with qtbot.waitSignal(dialog.open_copy, timeout=5000) as opened:
        click_row(qtbot, table, other)
    qtbot.waitUntil(lambda: "Delivered-To: bob@example.com" in dialog.headers.toPlainText())
    assert "Bcc:" not in dialog.headers.toPlainText()
    idle(qtbot, dialog)


def test_sandbox_dialog_when_nothing_was_delivered(context, qtbot, tmp_path: Path) -> None:
    dialog = on_screen(qtbot, SandboxDialog(context, None, maildir=tmp_path / "none"))
    qtbot.waitUntil(lambda: "Nothing delivered yet" in dialog.status.text())
    assert dialog.table.rowCount() == 0
    idle(qtbot, dialog)


# --- profiles ---------------------------------------------------------------------------------


def profiles_dialog(context, qtbot) -> ProfilesDialog:
    dialog = on_screen(qtbot, ProfilesDialog(context, None))
    assert dialog.objectName() == "profilesDialog"
    qtbot.waitUntil(lambda: dialog.table.rowCount() >= 1)
    return dialog


def fill_custom_profile(qtbot, dialog: ProfilesDialog, name: str) -> None:
    form = dialog.form
    click(qtbot, dialog.add_button)
    assert form.isVisible()
    form.provider_combo.setCurrentIndex(form.provider_combo.findData("custom"))
    assert "tracking are ON by default" in form.note_label.text()
    assert form.note_label.isVisible()
    qtbot.keyClicks(form.name_edit, name)
    qtbot.keyClicks(form.host_edit, "smtp.acme.example")
    form.port_spin.selectAll()
    qtbot.keyClicks(form.port_spin, "2525")
    qtbot.keyClicks(form.subaccount_edit, "123")
    qtbot.keyClicks(form.from_edit, "Ann <ann@acme.example>")
    qtbot.keyClicks(form.key_edit, KEY)
    assert form.key_edit.echoMode() == form.key_edit.EchoMode.Password
    assert form.tls_check.isChecked()


def test_profiles_dialog_adds_a_custom_profile_key_in_keyring_only(
    context, qtbot, memory_keyring: MemoryKeyring, composer_home: Path
) -> None:
    dialog = profiles_dialog(context, qtbot)
    assert column(dialog.table, 0) == ["local"]
    fill_custom_profile(qtbot, dialog, "enterprise")
    with qtbot.waitSignal(dialog.profiles_changed, timeout=15000):
        click(qtbot, dialog.form.save_button)
    qtbot.waitUntil(lambda: not dialog.form.isVisible())
    idle(qtbot, dialog)

    saved = context.profiles().get("enterprise")
    assert (saved.provider.value, saved.host, saved.port) == ("custom", "smtp.acme.example", 2525)
    assert (saved.subaccount, saved.default_from, saved.tls) == ("123", "Ann <ann@acme.example>",
                                                                 True)  # fmt: skip
    assert memory_keyring.entries == {("composer-mail", "enterprise"): KEY}
    assert_no_key_in_files(composer_home)
    assert dialog.form.key_edit.text() == ""
    row = column(dialog.table, 0).index("enterprise")
    assert dialog.table.item(row, 3).text() == "in keyring"
    assert dialog.table.item(row, 2).text() == "smtp.acme.example:2525"
    assert KEY not in dialog.status.text()

    # Remove: the profile and its key go
    dialog.confirm = lambda text: "API key" in text
    dialog.select("enterprise")
    with qtbot.waitSignal(dialog.profiles_changed, timeout=15000):
        click(qtbot, dialog.remove_button)
    idle(qtbot, dialog)
    assert "enterprise" not in context.profiles()
    assert memory_keyring.entries == {}
    assert column(dialog.table, 0) == ["local"]


def test_profiles_dialog_names_the_field_that_is_wrong(
    context, qtbot, memory_keyring: MemoryKeyring
) -> None:
    dialog = profiles_dialog(context, qtbot)
    click(qtbot, dialog.add_button)
    form = dialog.form
    form.provider_combo.setCurrentIndex(form.provider_combo.findData("custom"))
    qtbot.keyClicks(form.name_edit, "acme")
    click(qtbot, form.save_button)  # no host
    assert form.error_label.text().startswith("host:")
    assert form.host_edit.hasFocus()
    assert [p.name for p in context.profiles().list()] == ["local"]
    idle(qtbot, dialog)


def test_profiles_dialog_without_a_keyring_offers_the_variable(
    context, qtbot, use_keyring, composer_home: Path
) -> None:
    use_keyring(keyring.backends.null.Keyring())
    dialog = profiles_dialog(context, qtbot)
    fill_custom_profile(qtbot, dialog, "enterprise")
    click(qtbot, dialog.form.save_button)
    qtbot.waitUntil(lambda: "API key was not stored" in dialog.form.error_label.text())
    idle(qtbot, dialog)
    text = dialog.form.error_label.text() + dialog.form.session_offer.text()
    assert "no unlocked system keyring" in text and "COMPOSER_API_KEY" in text
    assert KEY not in text
    assert "enterprise" in context.profiles()  # the profile itself was saved
    assert dialog.form.editing == "enterprise"  # saving again replaces it
    qtbot.waitUntil(lambda: "COMPOSER_API_KEY" in dialog.status.text())
    row = column(dialog.table, 0).index("enterprise")
    assert dialog.table.item(row, 3).text().startswith("keyring unavailable")
    assert_no_key_in_files(composer_home)


def test_profiles_dialog_tests_the_local_profile(context, qtbot) -> None:
    dialog = profiles_dialog(context, qtbot)
    click_row(qtbot, dialog.table, column(dialog.table, 0).index("local"))
    with qtbot.waitSignal(dialog.tested, timeout=30000) as tested:
        click(qtbot, dialog.test_button)
    assert [s.name for s in tested.args[0]] == ["connect", "STARTTLS", "AUTH LOGIN"]
    results = dialog.probe_table
    assert results.rowCount() == 3
    assert (results.item(0, 0).text(), results.item(0, 1).text()) == ("connect", "ok")
    assert results.item(1, 1).text() == "—"  # no TLS on the local relay
    assert "FAIL" not in column(results, 1)
    idle(qtbot, dialog)


def test_profiles_dialog_tests_a_rest_profile_over_http_not_smtp(
    context, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drift of issue 13: the window probed every profile over SMTP, so a REST profile was
    tested over the wrong protocol. It now runs the CLI's own test: one GET {api}/account."""
    api = FaultApi(trustme.CA(), tmp_path, tls=False).start()
    try:
        with socket.socket() as closed:  # the profile's SMTP port: nothing listens there
            closed.bind(("127.0.0.1", 0))
            smtp_port = closed.getsockname()[1]
        restful = Profile.new(
            "restful", "custom", host="127.0.0.1", port=smtp_port, api="rest", api_url=api.url
        )
        context.profiles().add(restful)
        monkeypatch.setenv("COMPOSER_API_KEY", GOOD_KEY)
        dialog = profiles_dialog(context, qtbot)
        click_row(qtbot, dialog.table, column(dialog.table, 0).index("restful"))
        with qtbot.waitSignal(dialog.tested, timeout=30000) as tested:
            click(qtbot, dialog.test_button)
        steps = tested.args[0]
        assert [(s.name, s.ok) for s in steps] == [
            ("connect", True), ("TLS", None), ("API URL", True), ("API key", True)
        ]
        assert [(r.method, r.path) for r in api.received] == [("GET", "/api/v1/account")]
        assert api.received[0].authorization == GOOD_KEY
        assert "FAIL" not in column(dialog.probe_table, 1)
        idle(qtbot, dialog)
    finally:
        api.stop()


# --- recovery ---------------------------------------------------------------------------------


def test_recovery_dialog_returns_the_drafts_to_recover(qtbot, tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts")
    store.autosave("first", Draft(subject="First"), None)
    store.autosave("second", Draft(subject="Second"), "/home/ann/second.json")
    recovered = store.recoverable()
    dialog = on_screen(qtbot, RecoveryDialog(None, recovered))
    assert dialog.findChild(QRadioButton, "recover_first").isChecked()  # recover is the default
    click(qtbot, dialog.findChild(QRadioButton, "discard_first"))
    click(qtbot, dialog.findChild(QPushButton, "continueButton"))
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert [r.subject for r in dialog.chosen()] == ["Second"]
    assert [r.draft_id for r in dialog.discarded()] == ["first"]
