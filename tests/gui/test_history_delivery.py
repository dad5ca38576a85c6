"""The Send history's Delivery column (issue 18): after a real send through the local relay,
the open dialog asks the relay's Events API (its HTTP side on loopback, on a worker) and shows
each recipient's state, updating itself until every one is final; what it learnt is kept with
the history, so a dialog opened later shows it with no relay at all."""

from __future__ import annotations

import socket

import pytest
from PySide6.QtWidgets import QDialog
from support.gui import on_screen

from composer.app.context import Context
from composer.app.deliver import deliver
from composer.core.build import build_message
from composer.core.draft import Draft, Recipient
from composer.gui.dialogs.common import ERROR_COLOUR
from composer.gui.dialogs.history import HistoryDialog
from composer.transport.profiles.store import Profile


def idle(qtbot, dialog: QDialog) -> None:
    qtbot.waitUntil(lambda: dialog.tasks.pending == 0, timeout=15000)


def send_through_local_relay(context: Context, *rcpts: str) -> None:
    """A real send: the outbox, the local relay in-process over SMTP, the history."""
    profile = Profile.new("sandbox", "local")
    context.profiles().add(profile)
    draft = Draft(
        from_addr=Recipient("ann@example.org"),
        to=[Recipient(r) for r in rcpts],
        subject="Did it arrive?",
        body="Hello",
    )
    report = deliver(context, context.outbox(), profile, new=[build_message(draft)],
                     subject=draft.subject, timeout=15, final_timeout=15)  # fmt: skip
    assert [str(r.status) for r in report.results] == ["sent"]


def delivery_text(dialog: HistoryDialog, row: int = 0) -> str:
    item = dialog.table.item(row, dialog.DELIVERY)
    return item.text() if item is not None else ""


def test_history_follows_each_recipient_until_final(
    context: Context, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSER_SANDBOX_DEFER", "1.5")  # the deferred one: delivered after 1.5 s
    send_through_local_relay(
        context, "bob@example.org", "gone@bounce.example.com", "slow@defer.example.com"
    )
    dialog = on_screen(qtbot, HistoryDialog(context, None))
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=15000)
    # first answer: delivered, bounced with its reason and class, delayed
    qtbot.waitUntil(lambda: "bounced" in delivery_text(dialog), timeout=15000)
    text = delivery_text(dialog)
    assert "bob@example.org: delivered" in text
    assert "gone@bounce.example.com: bounced: 10 Invalid Recipient (hard)" in text
    assert "User unknown" in text
    # then, polled again while open: the delayed one delivered, and the polling stops
    qtbot.waitUntil(lambda: "slow@defer.example.com: delivered" in delivery_text(dialog),
                    timeout=20000)  # fmt: skip
    qtbot.waitUntil(lambda: not dialog.poller.active, timeout=15000)
    assert dialog.table.item(0, dialog.DELIVERY).foreground().color().name() == ERROR_COLOUR
    idle(qtbot, dialog)
    dialog.close()

    # offline later: what was learnt is in the history, shown with no relay asked
    later = on_screen(qtbot, HistoryDialog(context, None))
    qtbot.waitUntil(lambda: "slow@defer.example.com: delivered" in delivery_text(later),
                    timeout=15000)  # fmt: skip
    assert not later.poller.active  # every recipient final: nothing to ask
    idle(qtbot, later)


def test_a_profile_that_cannot_be_asked_is_said_once(
    context: Context, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    send_through_local_relay(context, "bob@example.org")
    # the profile is replaced by one whose Events API is a closed loopback port
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    store = context.profiles()
    store.remove("sandbox")
    store.add(Profile.new("sandbox", "custom", host="127.0.0.1", port=2525, tls=False,
                          api_url=f"http://127.0.0.1:{port}/api/v1"))  # fmt: skip
    monkeypatch.setenv("COMPOSER_API_KEY", "events-test-key")
    dialog = on_screen(qtbot, HistoryDialog(context, None))
    qtbot.waitUntil(lambda: "Delivery events for profile sandbox" in dialog.status.text(),
                    timeout=15000)  # fmt: skip
    assert "could not ask 127.0.0.1" in dialog.status.text()
    assert "1 send, newest first" in dialog.status.text()  # what it said before stays
    qtbot.waitUntil(lambda: not dialog.poller.active, timeout=15000)
    assert "events-test-key" not in dialog.status.text()
    idle(qtbot, dialog)
