"""What "the same send" is, and the outbox refusing a second copy of one still held.

A send's identity is each message's fingerprint: envelope + bytes without the Date, the
Message-ID and the MIME boundaries, the three things made fresh by every build."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from composer.core.build import build_messages
from composer.core.draft import Attachment, BodyFormat, Draft, Recipient
from composer.store.outbox import Outbox
from composer.store.outbox_items import FAILED, StillInOutbox, id_ranges, send_fingerprint


def _draft(tmp: Path, **kw) -> Draft:
    att = tmp / "notes.txt"
    att.write_text("attached\n")
    base = dict(
        from_addr=Recipient("ann@example.com", "Ann"),
        subject="Spring sale",
        body="# Hello\n\nA *long* line " + "x" * 300,
        body_format=BodyFormat.MARKDOWN,
        attachments=[Attachment(path=str(att))],
        tags=["spring"],
    )
    base.update(kw)
    return Draft(**base)


SEEDS = [Recipient(f"s{i}@example.com") for i in range(3)]


def test_two_builds_of_one_draft_are_the_same_send(tmp_path: Path) -> None:
    draft = _draft(tmp_path)
    first = build_messages(draft, seeds=SEEDS)
    later = build_messages(draft, seeds=SEEDS, now=datetime.now().astimezone() + timedelta(1))
    # fresh per build: Message-ID, Date and the multipart boundaries all differ...
    assert first[0].message_id != later[0].message_id and first[0].data != later[0].data
    assert b"boundary=" in first[0].data
    # ...and the fingerprint sees through them
    assert [send_fingerprint(m) for m in first] == [send_fingerprint(m) for m in later]
    # one per recipient: the seeds are three different messages
    assert len({send_fingerprint(m) for m in first}) == 3


@pytest.mark.parametrize(
    "change",
    [
        {"subject": "Spring sale!"},
        {"body": "# Hello\n\nanother body"},
        {"tags": ["autumn"]},
        {"from_addr": Recipient("bea@example.com")},
    ],
)
def test_any_other_change_is_another_send(tmp_path: Path, change: dict) -> None:
    one = build_messages(_draft(tmp_path), seeds=SEEDS[:1])[0]
    other = build_messages(_draft(tmp_path, **change), seeds=SEEDS[:1])[0]
    assert send_fingerprint(one) != send_fingerprint(other)


def test_a_held_copy_refuses_the_rerun_and_new_copies_is_the_way_round(tmp_path: Path) -> None:
    draft = _draft(tmp_path)
    with Outbox(tmp_path / "o.sqlite3") as box:
        ids = box.enqueue(build_messages(draft, seeds=SEEDS), "p", "Spring sale")
        box.mark_sent(ids[0], "250 ok")  # sent: gone, not held
        box.mark_failed(ids[1], "550 no")  # failed: nothing went out, not held
        # ids[2] stays queued: a rerun would send it now and `outbox resume` again later
        with pytest.raises(StillInOutbox) as refused:
            box.enqueue(build_messages(draft, seeds=SEEDS), "p", "Spring sale")
        assert str(refused.value) == (
            "1 messages of this send are still in the outbox: "
            "`composer outbox resume` or `composer outbox discard`"
        )
        assert [i.id for i in refused.value.held] == [ids[2]]
        assert f"composer outbox discard {ids[2]}" in refused.value.detail
        assert len(box.items()) == 3  # the refused enqueue wrote nothing
        # another draft is another send: no refusal
        box.enqueue(build_messages(_draft(tmp_path, subject="Other"), seeds=SEEDS), "p")
        # the person's explicit decision
        again = box.enqueue(build_messages(draft, seeds=SEEDS), "p", new_copies=True)
        assert len(again) == 3
        box.mark_unknown(ids[2])  # may have been sent: still held
        assert [i.id for i in box.held_copies(build_messages(draft, seeds=SEEDS[2:]))] == [
            ids[2],
            again[2],
        ]
        assert box.get(ids[1]).state == FAILED


def test_rows_from_before_the_fingerprint_column_are_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # the schema as an earlier Composer wrote it
        db.executescript(
            """CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL,
            updated TEXT NOT NULL, profile TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '',
            message_id TEXT NOT NULL, mail_from TEXT NOT NULL, rcpt_to TEXT NOT NULL,
            data BLOB, msys TEXT, state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0);
            INSERT INTO outbox (created, updated, profile, message_id, mail_from, rcpt_to, data,
            state) VALUES ('t', 't', 'p', '<a@b>', 'ann@example.com', '["s0@example.com"]',
            x'41', 'queued');"""
        )
    db.close()
    with Outbox(path) as box:
        (old,) = box.items()
        assert old.fingerprint is None and not old.problem
        box.enqueue(build_messages(_draft(tmp_path), seeds=SEEDS), "p")  # no match on NULL
        assert all(i.fingerprint for i in box.items()[1:])


def test_id_ranges() -> None:
    assert id_ranges([9, 3, 4, 5, 11, 12]) == "3-5 9 11-12"
    assert id_ranges([]) == ""
