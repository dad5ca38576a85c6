"""Cancel in the window (issue 15 #9): clicked mid-batch against a slow scripted peer, the send
stops within a second, the report says "cancelled" (not "failed"), and the window asks at once
whether to keep the cancelled messages queued or discard them; each answer does what it says
to the outbox. Closing the window during a send says that a send is running."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from support.gui import WAIT
from support.smtp_hostile import Drip, HostilePeer

from composer.core.draft import Recipient
from composer.core.outcome import Status
from composer.transport.profiles.store import Profile

SEEDS = 40
PIPELINING_EHLO = "250-slow.example\r\n250-PIPELINING\r\n250-AUTH LOGIN\r\n250 8BITMIME"


@pytest.fixture
def slow_peer() -> Iterator[HostilePeer]:
    # Every final reply dribbles in over ~0.3 s: a relay far away, or a slow one.
    peer = HostilePeer(
        {"EHLO": PIPELINING_EHLO, "DOT": Drip("250 2.0.0 queued", 0.02, forever=False)},
        max_connections=20,
        cap=60,
    ).start()
    try:
        yield peer
    finally:
        peer.stop()


def _aim_window_at(window, context, monkeypatch, peer: HostilePeer) -> None:  # type: ignore[no-untyped-def]
    context.profiles().add(
        Profile.new("slow", "custom", host="127.0.0.1", port=peer.port, tls=False)
    )
    monkeypatch.setenv("COMPOSER_API_KEY", "k3y")
    window.profile_name = "slow"
    window.model.update(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Cancel me",
        body="Hello",
    )


def _answer(name: str, box_name: str, seen: list[float]) -> None:
    """Click button ``name`` of the message box ``box_name`` when it shows (bounded ~20 s);
    ``seen`` gets the moment it showed."""
    tries = [0]

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == box_name:
            seen.append(time.monotonic())
            box.findChild(QPushButton, name).click()
        elif tries[0] < 2000:
            tries[0] += 1
            QTimer.singleShot(10, look)

    QTimer.singleShot(0, look)


@pytest.mark.parametrize("choice", ["keepQueued", "discardCancelled"])
def test_cancel_mid_batch_stops_within_a_second_and_asks(
    qtbot, window, context, monkeypatch, slow_peer: HostilePeer, choice: str
) -> None:
    _aim_window_at(window, context, monkeypatch, slow_peer)
    qtbot.waitUntil(window.send_button.isEnabled, timeout=WAIT)
    reports: list = []
    window.send_controller.finished.connect(reports.append)
    window.sending.send(seeds=[Recipient(f"seed{i:02d}@example.com") for i in range(SEEDS)])
    panel = window.send_panel
    qtbot.waitUntil(lambda: panel.results.count() >= 3, timeout=WAIT)
    shown: list[float] = []
    _answer(choice, "cancelledBox", shown)
    clicked = time.monotonic()
    qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(shown) and not window.send_controller.busy, timeout=WAIT)
    assert shown[0] - clicked < 1.0, f"the send took {shown[0] - clicked:.2f} s to stop"

    (report,) = reports
    statuses = [r.status for r in report.results]
    cancelled = statuses.count(Status.CANCELLED)
    assert cancelled > 0 and Status.FAILED not in statuses and Status.UNKNOWN not in statuses
    assert statuses.count(Status.SENT) + cancelled == SEEDS
    assert len(slow_peer.messages) == statuses.count(Status.SENT)  # none half-sent, none twice
    assert "cancelled" in panel.label.text()
    assert any("cancelled — not sent" in panel.results.item(i).text()
               for i in range(panel.results.count()))  # fmt: skip

    def queued() -> int:
        with context.outbox() as box:
            return len(box.sendable())

    if choice == "keepQueued":
        assert queued() == cancelled
        assert "kept in the outbox" in panel.label.text()
    else:
        qtbot.waitUntil(lambda: "discarded" in panel.label.text(), timeout=WAIT)
        assert queued() == 0
        with context.outbox() as box:
            assert box.items() and {i.state for i in box.items()} == {Status.SENT}


def test_closing_during_a_send_says_a_send_is_running(
    qtbot, window, context, monkeypatch, slow_peer: HostilePeer
) -> None:
    _aim_window_at(window, context, monkeypatch, slow_peer)
    qtbot.waitUntil(window.send_button.isEnabled, timeout=WAIT)
    window.sending.send(seeds=[Recipient(f"seed{i:02d}@example.com") for i in range(SEEDS)])
    qtbot.waitUntil(lambda: window.send_panel.results.count() >= 1, timeout=WAIT)

    shown: list[float] = []
    _answer("keepSending", "quitWhileSendingBox", shown)
    assert not window.close()  # "keep sending": the window stays, the send goes on
    assert shown and window.send_controller.busy

    shown.clear()
    _answer("stopAndQuit", "quitWhileSendingBox", shown)
    window.close()  # "stop and quit": cancelled now, the window closes once it has stopped
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
    assert window.send_controller.worker is None
    with context.outbox() as box:  # the unsent ones wait in the outbox, nothing lost
        assert box.sendable()
