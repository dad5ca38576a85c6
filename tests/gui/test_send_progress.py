"""The send's progress bar says how far a send got: after Cancel it is not "100%" (it showed a
full bar beside "280 cancelled"), it reads "20 of 300", and a full send ends full. Real sends:
a slow scripted SMTP peer on loopback, and the built-in sandbox relay."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from support.gui import WAIT
from support.smtp_hostile import Drip, HostilePeer

from composer.core.draft import Recipient
from composer.transport.profiles.store import Profile

EHLO = "250-slow.example\r\n250-PIPELINING\r\n250-AUTH LOGIN\r\n250 8BITMIME"


@pytest.fixture
def slow_peer():
    peer = HostilePeer({"EHLO": EHLO, "DOT": Drip("250 2.0.0 queued", 0.02, forever=False)},
                       max_connections=20, cap=60).start()  # fmt: skip
    try:
        yield peer
    finally:
        peer.stop()


def _keep_queued_when_asked() -> None:
    tries = [0]

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            button = box.findChild(QPushButton, "keepQueued")
            (button.click() if button is not None else box.reject())
        elif tries[0] < 2000:
            tries[0] += 1
            QTimer.singleShot(10, look)

    QTimer.singleShot(0, look)


def test_a_cancelled_send_shows_how_far_it_got(
    qtbot, window, context, monkeypatch, slow_peer
) -> None:
    context.profiles().add(
        Profile.new("slow", "custom", host="127.0.0.1", port=slow_peer.port, tls=False)
    )
    monkeypatch.setenv("COMPOSER_API_KEY", "k3y")
    window.profile_name = "slow"
    window.model.update(from_addr=Recipient("ann@example.com"), to=[Recipient("bob@example.com")],
                        subject="Cancel me", body="Hello")  # fmt: skip
    qtbot.waitUntil(window.send_button.isEnabled, timeout=WAIT)
    window.sending.send(seeds=[Recipient(f"seed{i:02d}@example.com") for i in range(40)])
    panel = window.send_panel
    qtbot.waitUntil(lambda: panel.results.count() >= 3, timeout=WAIT)
    _keep_queued_when_asked()
    with qtbot.waitSignal(window.send_controller.finished, timeout=WAIT) as ended:
        qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
    report = ended.args[0]
    went = sum(1 for r in report.results if str(r.status) != "cancelled")
    assert 0 < went < 40
    assert panel.bar.maximum() == 40 and panel.bar.value() == went
    assert panel.bar.text() == f"{went} of 40"
    qtbot.waitUntil(lambda: "kept in the outbox" in panel.label.text(), timeout=WAIT)


def test_a_whole_send_ends_with_a_full_bar(qtbot, window) -> None:
    window.model.update(from_addr=Recipient("ann@example.com"), to=[Recipient("bob@example.com")],
                        subject="All of it", body="Hello")  # fmt: skip
    qtbot.waitUntil(window.send_button.isEnabled, timeout=WAIT)
    with qtbot.waitSignal(window.send_controller.finished, timeout=WAIT):
        window.sending.send(seeds=[Recipient(f"s{i}@example.com") for i in range(3)])
    assert window.send_panel.bar.text() == "3 of 3"
