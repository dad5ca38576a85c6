"""The window's side of the outbox: Send asks before a second copy, damaged rows are shown and
never sent, a damaged outbox is named. pytest-qt answers the real dialogs as a person would."""

from __future__ import annotations

import mailbox
import sqlite3
import threading
import time
from pathlib import Path

from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from support.gui import WAIT

from composer.core.build import build_messages
from composer.core.draft import Draft, Recipient
from composer.gui.main_window import MainWindow
from composer.store.outbox import Outbox


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
    context, qtbot, window: MainWindow, composer_home: Path
) -> None:
    window.model.update(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Once only",
        body="Hello",
    )
    qtbot.waitUntil(window.send_button.isEnabled, timeout=WAIT)
    # What a send killed mid-way leaves behind: a copy of this very message still queued.
    with context.outbox() as box:
        (held,) = box.enqueue(build_messages(window.model.snapshot()), "local", "Once only")

    seen: list[str] = []
    answer("cancel", seen)  # no such name: the Cancel button
    window.sending.send()
    qtbot.waitUntil(lambda: bool(seen) and not window.send_controller.busy, timeout=WAIT)
    assert "1 message(s) of this send are still in the outbox" in seen[0]
    assert "second copy" in seen[0]
    assert _sandbox(composer_home) == []  # asked first, nothing sent
    assert "Not sent" in window.send_panel.label.text()

    answer("sendNewCopies", seen)
    with qtbot.waitSignal(window.send_controller.finished, timeout=WAIT) as done:
        window.sending.send()
    assert done.args[0].count("sent") == 1 and len(seen) == 2
    assert _sandbox(composer_home) == ["bob@example.com"]  # once, by decision
    with context.outbox() as box:
        assert box.get(held).state == "queued"  # the old copy is still the person's to decide


def test_the_outbox_window_flags_a_damaged_row_and_never_resends_it(
    context, qtbot, tmp_path: Path
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
    dialog = OutboxDialog(context, None, path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=WAIT)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert any(t.startswith("[Damaged") and "rcpt_to" in t for t in texts)
    dialog.list.setCurrentRow(1)
    assert not dialog.resend_button.isEnabled() and not dialog.resend_selected(confirmed=True)
    assert dialog.discard_button.isEnabled()
    with qtbot.waitSignal(dialog.loaded, timeout=WAIT):
        assert dialog.discard_selected()
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
    window.show_outbox()  # opens at once; the read that finds the damage runs in a task
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)
    assert "composer outbox salvage" in seen[0]
    assert str(composer_home / "outbox.sqlite3") in seen[0]


class _OtherProcess:
    """Holds the outbox's SQLite file the way another process can: exclusive locking mode, so
    no other connection reads or writes until it lets go (SQLite then waits up to 30 s)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db: sqlite3.Connection | None = None
        self.lock = threading.Lock()
        # a bound on the test, not a synchronisation: the old code would wait out SQLite's 30 s
        self.bound: threading.Timer | None = None

    def hold(self) -> None:
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA locking_mode=EXCLUSIVE")
        db.execute("BEGIN EXCLUSIVE")
        db.execute("SELECT count(*) FROM outbox").fetchall()
        self.db = db
        self.bound = threading.Timer(5, self.release)
        self.bound.start()

    def release(self) -> None:
        """Closing the connection is what lets go: in exclusive mode, COMMIT keeps the lock."""
        with self.lock:
            if self.bound is not None:
                self.bound.cancel()
            db, self.db = self.db, None
            if db is not None:
                db.close()


def test_the_outbox_window_never_waits_on_the_disk(context, qtbot, tmp_path: Path) -> None:
    """Opening the outbox and selecting rows while another process holds its file: the UI
    thread carries on (issue 13: it read SQLite on every selection and at opening, so the
    window froze for as long as the file was held, up to SQLite's 30 s)."""
    from composer.gui.dialogs.outbox import OutboxDialog

    path = tmp_path / "o.sqlite3"
    draft = Draft(from_addr=Recipient("ann@example.com"), subject="T", body="x")
    with Outbox(path) as box:
        seeds = [Recipient("a@example.com"), Recipient("b@example.com")]
        a, b = box.enqueue(build_messages(draft, seeds=seeds), "p", "T")
        box.mark_failed(a, "550 no")
        box.mark_unknown(b)
    other = _OtherProcess(path)
    try:
        other.hold()
        started = time.monotonic()
        dialog = OutboxDialog(context, None, path)
        qtbot.addWidget(dialog)
        assert time.monotonic() - started < 1.0, "the dialog waited for the file"
        assert dialog.list.count() == 0 and "Loading" in dialog.status.text()
        other.release()
        qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=WAIT)
        other.hold()
        started = time.monotonic()
        for row in (0, 1, 0):
            dialog.list.setCurrentRow(row)
        assert time.monotonic() - started < 1.0, "a selection waited for the file"
        assert dialog.resend_button.isEnabled() and dialog.discard_button.isEnabled()
        other.release()
        dialog.close()
    finally:
        other.release()
    assert QThreadPool.globalInstance().waitForDone(WAIT)


def test_the_outbox_window_resends_a_failed_item_once(
    context, qtbot, tmp_path: Path, composer_home: Path
) -> None:
    """Resend from the outbox window: requeued and sent by a task and the send thread of a
    SendController (the window's own kind), through the local relay, exactly once."""
    from composer.gui.dialogs.outbox import OutboxDialog

    draft = Draft(from_addr=Recipient("ann@example.com"), to=[Recipient("bob@example.com")],
                  subject="Again", body="x")  # fmt: skip
    with context.outbox() as box:
        (item,) = box.enqueue(build_messages(draft), "local", "Again")
        box.mark_failed(item, "421 try later")
    dialog = OutboxDialog(context, None)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=WAIT)
    dialog.list.setCurrentRow(0)
    with qtbot.waitSignal(dialog.send_controller.finished, timeout=WAIT) as sent:
        assert dialog.resend_selected()
        assert not dialog.resend_selected()  # one at a time
    assert sent.args[0].count("sent") == 1
    qtbot.waitUntil(lambda: dialog.list.count() == 0, timeout=WAIT)
    assert _sandbox(composer_home) == ["bob@example.com"]
    dialog.close()
    assert dialog.send_controller.worker is None
    assert QThreadPool.globalInstance().waitForDone(WAIT)
