"""The outbox state machine, its command and its window."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from support.cli import child_env, composer_command
from support.smtp_faults import GOOD_KEY
from support.smtp_gated import GatedServer

from composer.core.build import build_messages
from composer.core.draft import Draft, Recipient
from composer.core.errors import ExitCode
from composer.core.outcome import MessageResult, Status
from composer.store.outbox import Outbox


def _messages(n: int = 2):
    draft = Draft(from_addr=Recipient("ann@example.com"), subject="Test", body="Hello")
    return build_messages(draft, seeds=[Recipient(f"s{i}@example.com") for i in range(n)])


def test_states_recovery_and_resend_keep_the_same_bytes(tmp_path: Path) -> None:
    msgs = _messages(3)
    path = tmp_path / "o.sqlite3"
    with Outbox(path) as box:
        mode = box._db.execute("PRAGMA journal_mode").fetchone()[0]
        sync = box._db.execute("PRAGMA synchronous").fetchone()[0]
        assert (mode, sync) == ("wal", 2)  # WAL, FULL
        ids = box.enqueue(msgs, "p", "Test")
        assert [i.state for i in box.pending()] == ["queued"] * 3
        first = box.claim_next()
        assert first is not None and first.id == ids[0] and first.state == "sending"
        assert first.message() == msgs[0]  # exact bytes, Message-ID and envelope
        box.claim([ids[1]])
        box.mark_awaiting(ids[1])
    # a crash here: a fresh process opens the file
    with Outbox(path) as box:
        assert box.recover_on_start() == (1, 1)
        assert box.get(ids[0]).state == "queued"
        (unknown,) = box.unknown()
        assert unknown.id == ids[1] and "may have been sent" in unknown.reason
        assert box.claim_next().id == ids[0]  # the unknown one is never picked up again
        box.mark_sent(ids[0], "250 ok")
        assert box.get(ids[0]).data is None  # the outbox is not an archive
        assert box.claim_next().id == ids[2]
        box.mark_failed(ids[2], "550 5.7.1 no")
        assert box.claim_next() is None
        assert box.resend(ids[1]) and box.get(ids[1]).message() == msgs[1]
        assert not box.resend(ids[0])  # sent: nothing to resend
        assert box.discard(ids[2]) and box.get(ids[2]) is None
        assert [i.id for i in box.failed()] == []


def test_the_state_is_the_reported_status_never_a_guess_from_the_exit_code(
    tmp_path: Path,
) -> None:
    """What the CLI reported is what the outbox holds: "gave up" (exit 4) is failed, as is a
    refusal (exit 3); only "unknown" stays unknown. Nothing is silently queued again."""

    def R(status: str, exit_code: int, error: str) -> MessageResult:
        return MessageResult(0, "<m@x>", "a@x", ["b@x"], 1, Status(status),
                             error=error, exit_code=ExitCode(exit_code))  # fmt: skip

    with Outbox(tmp_path / "o.sqlite3") as box:
        a, b, c, d = box.enqueue(_messages(4), "p")
        assert box.record(a, R("failed", 4, "451 busy (gave up after 4 attempts)")) == "failed"
        assert box.record(b, R("failed", 3, "550 refused")) == "failed"
        assert box.record(c, R("unknown", 4, "the connection ended")) == "unknown"
        assert box.record(d, R("failed", 4, "not sent: cancelled")) == "failed"
        assert box.get(a).reason.startswith("451")
        assert box.items("queued") == []


def test_the_outbox_command_lists_resends_and_discards(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with Outbox(home / "outbox.sqlite3") as box:
        a, b = box.enqueue(_messages(2), "custom", "Test")
        box.claim([a, b])
        box.mark_awaiting(a)
        box.mark_failed(b, "550 5.7.1 refused")
    env = child_env(home, GOOD_KEY)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*composer_command(), "outbox", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    text = run().stdout
    assert "may have been sent" in text and "550 5.7.1 refused" in text
    state = json.loads(run("--json").stdout)
    assert [i["id"] for i in state["unknown"]] == [a] and [i["id"] for i in state["failed"]] == [b]
    assert run("discard", str(b)).returncode == 0
    assert run("resend", "999").returncode == 2
    assert run("resend", str(a)).returncode == 0
    with GatedServer(tmp_path) as server:
        r = run("resume", *server.connection_args())
        assert r.returncode == 0, r.stderr
        assert server.deliveries() == {"s0@example.com": 1}
    got = json.loads(run("--json").stdout)
    assert got == {"pending": [], "failed": [], "unknown": [], "damaged": []}
    with sqlite3.connect(home / "outbox.sqlite3") as db:  # the very same Message-ID went out
        assert db.execute("SELECT state FROM outbox").fetchall() == [("sent",)]


@pytest.mark.filterwarnings("ignore")
def test_the_outbox_window_lists_and_discards(context, qtbot, tmp_path: Path) -> None:
    from composer.gui.dialogs.outbox import OutboxDialog

    path = tmp_path / "o.sqlite3"
    with Outbox(path) as box:
        a, b = box.enqueue(_messages(2), "p", "Test")
        box.mark_unknown(a)
        box.mark_failed(b, "550 5.7.1 refused")
    dialog = OutboxDialog(context, None, path)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.list.count() == 2, timeout=20_000)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert any("may have been sent — check before resending" in t for t in texts)
    assert any("550 5.7.1 refused" in t for t in texts)
    dialog.list.setCurrentRow(0)
    assert dialog.resend_button.isEnabled()
    with qtbot.waitSignal(dialog.loaded, timeout=20_000):
        assert dialog.discard_selected()
    assert dialog.list.count() == 1
    dialog.close()


def test_the_mover_writes_sent_with_the_next_awaiting_and_a_crash_errs_to_unknown(
    tmp_path: Path,
) -> None:
    """One synchronous commit per message: a "sent" rides on the next "awaiting". Each
    "awaiting" is on disk when before_final_reply returns (a second connection, standing in
    for a process started after a crash, sees it), and a "sent" not yet written is left
    "awaiting", so recovery says "unknown", never "queued"."""
    from composer.store.outbox_mover import OutboxMover

    msgs = _messages(3)
    path = tmp_path / "o.sqlite3"

    def state(item_id: int) -> str:
        db = sqlite3.connect(path)
        try:
            return db.execute("SELECT state FROM outbox WHERE id=?", (item_id,)).fetchone()[0]
        finally:
            db.close()

    def sent(index: int) -> MessageResult:
        return MessageResult(index, msgs[index].message_id, "a@x", ["b@x"], 1, Status.SENT,
                             code=250, reply="ok")  # fmt: skip

    with Outbox(path) as box:
        items = box.claim(box.enqueue(msgs, "p", "Test"))
        ids = [i.id for i in items]
        mover = OutboxMover(box, items)
        mover.before_final_reply(msgs[0])
        assert state(ids[0]) == "awaiting"
        mover.on_result(sent(0))
        assert state(ids[0]) == "awaiting"  # not written on its own
        mover.before_final_reply(msgs[1])
        assert (state(ids[0]), state(ids[1])) == ("sent", "awaiting")
        assert box.get(ids[0]).data is None
        mover.on_result(sent(1))
        # the process dies here, before flush: message 2 was sent but is recorded "awaiting"
    with Outbox(path) as box:
        assert box.recover_on_start() == (1, 1)
        assert [box.get(i).state for i in ids] == ["sent", "unknown", "queued"]
    with Outbox(path) as box:
        items = box.claim([ids[2]])
        mover = OutboxMover(box, items)
        mover.before_final_reply(msgs[2])
        mover.on_result(sent(0))
        mover.flush()
        assert box.get(ids[2]).state == "sent" and box.get(ids[2]).reason == "250 ok"
