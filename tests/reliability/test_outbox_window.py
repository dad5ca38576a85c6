"""The window's side of the outbox: Send asks before a second copy, damaged rows are shown and
never sent, a damaged outbox is named. pytest-qt answers the real dialogs as a person would."""

from __future__ import annotations

import mailbox
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from composer.core.build import build_messages
from composer.core.draft import Draft, Recipient
from composer.gui.main_window import MainWindow
from composer.store.outbox import Outbox

WAIT = 20_000


@pytest.fixture
def window(qtbot, monkeypatch):
    w = MainWindow()
    monkeypatch.setattr(w.drafts, "confirm_discard", lambda: True)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    assert QThreadPool.globalInstance().waitForDone(WAIT), "a task was left running"
    assert w.sender.worker is None, "a send thread was left running"


def answer(name: str, seen: list[str], *, box_name: str = "copiesHeldBox") -> None:
    """Click the button ``name`` of the message box when it shows (bounded: ~10 s)."""
    tries = [0]

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.objectName() == box_name:
            seen.append(box.text())
            button = box.findChild(QPushButton, name) or box.button(
                QMessageBox.StandardButton.Cancel
            )
            button.click()
        elif tries[0] < 500:
            tries[0] += 1
            QTimer.singleShot(20, look)

    QTimer.singleShot(0, look)


def _sandbox(home: Path) -> list[str]:
    folder = home / "sandbox"
    if not folder.exists():
        return []
    return sorted(m["Delivered-To"] for m in mailbox.Maildir(folder, create=False))


def test_send_asks_before_a_second_copy_and_sends_only_when_told(
    qtbot, window: MainWindow, composer_home: Path
) -> None:
    window.model.update(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Once only",
        body="Hello",
    )
    qtbot.waitUntil(window.send_button.isEnabled, timeout=WAIT)
    # What a send killed mid-way leaves behind: a copy of this very message still queued.
    with Outbox() as box:
        (held,) = box.enqueue(build_messages(window.model.snapshot()), "local", "Once only")

    seen: list[str] = []
    answer("cancel", seen)  # no such name: the Cancel button
    window.sending.send()
    qtbot.waitUntil(lambda: bool(seen) and not window.sender.busy, timeout=WAIT)
    assert "1 message(s) of this send are still in the outbox" in seen[0]
    assert "second copy" in seen[0]
    assert _sandbox(composer_home) == []  # asked first, nothing sent
    assert "Not sent" in window.send_panel.label.text()

    answer("sendNewCopies", seen)
    with qtbot.waitSignal(window.sender.finished, timeout=WAIT) as done:
        window.sending.send()
    assert done.args[0].count("sent") == 1 and len(seen) == 2
    assert _sandbox(composer_home) == ["bob@example.com"]  # once, by decision
    with Outbox() as box:
        assert box.get(held).state == "queued"  # the old copy is still the person's to decide


def test_the_outbox_window_flags_a_damaged_row_and_never_resends_it(
    qtbot, tmp_path: Path
) -> None:
    from composer.gui.dialogs.outbox import OutboxDialog

    path = tmp_path / "o.sqlite3"
    draft = Draft(from_addr=Recipient("ann@example.com"), subject="T", body="x")
    with Outbox(path) as box:
        _good, bad = box.enqueue(
            build_messages(draft, seeds=[Recipient("a@example.com"), Recipient("b@example.com")]),
            "p",
            "T",
        )
        box.mark_failed(bad, "550 no")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE outbox SET rcpt_to='{oops' WHERE id=?", (bad,))
    db.close()
    dialog = OutboxDialog(None, path)
    qtbot.addWidget(dialog)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert len(texts) == 2 and any(t.startswith("[Damaged") and "rcpt_to" in t for t in texts)
    dialog.list.setCurrentRow(1)
    assert not dialog.resend_button.isEnabled() and not dialog.resend_selected(confirmed=True)
    assert dialog.discard_button.isEnabled() and dialog.discard_selected()
    assert dialog.list.count() == 1
    dialog.close()


def test_a_damaged_outbox_is_named_when_opened_from_the_window(
    qtbot, window: MainWindow, composer_home: Path
) -> None:
    (composer_home / "outbox.sqlite3").write_bytes(b"not a database " * 200)
    seen: list[str] = []
    tries = [0]

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.button(QMessageBox.StandardButton.Ok).click()
        elif tries[0] < 500:
            tries[0] += 1
            QTimer.singleShot(20, look)

    QTimer.singleShot(0, look)
    window.show_outbox()
    assert seen and "composer outbox salvage" in seen[0]
    assert str(composer_home / "outbox.sqlite3") in seen[0]
