"""The history's delivery events (store/history_events.py): a history file written before the
events tables existed gains them when opened and keeps every row; an event seen again is one
row; a send's events are bounded; a reader of the file that never heard of events (an older
Composer, which names its columns) still reads it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from composer.core.delivery import DeliveryEvent, State, recipient_states
from composer.store import history_events
from composer.store.history import History

OLD = """
CREATE TABLE sends (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, profile TEXT NOT NULL,
    host TEXT NOT NULL, message_id TEXT NOT NULL, mail_from TEXT NOT NULL,
    rcpt_to TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '', status TEXT NOT NULL,
    code INTEGER, reply TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
    refused TEXT NOT NULL DEFAULT '{}', attempts INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0, transmission_id TEXT
);
INSERT INTO sends (time, profile, host, message_id, mail_from, rcpt_to, status, code, reply)
VALUES ('2026-11-30T10:00:00+00:00', 'old', 'smtp.sparkpostmail.com:587', '<a@x>',
        'ann@example.com', '["bob@example.com","gone@example.com"]', 'sent', 250, 'OK');
"""


def ev(kind: str, rcpt: str, second: int, **more: object) -> DeliveryEvent:
    return DeliveryEvent(kind, f"2026-11-30T10:00:{second:02d}.000Z", rcpt,
                         event_id=f"e{kind}{rcpt}{second}", **more)  # type: ignore[arg-type]  # fmt: skip


def test_an_old_history_gains_the_events_tables_and_keeps_its_sends(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD)
    with History(path) as history:
        (old,) = history.recent()
        assert old.profile == "old" and old.rcpt_to == ["bob@example.com", "gone@example.com"]
        bounce = ev("bounce", "gone@example.com", 3, bounce_class=10, reason="550 5.1.1 unknown")
        seen = [ev("injection", "bob@example.com", 1), ev("delivery", "bob@example.com", 2), bounce]
        assert history.add_events(old.id, seen, "2026-11-30T10:01:00+00:00") == 3
        assert history.add_events(old.id, seen[1:], "2026-11-30T10:02:00+00:00") == 0  # again
        stored = history.events([old.id])[old.id]
        check = history.last_check(old.id)
    assert check is not None and check.checked == "2026-11-30T10:02:00+00:00"
    assert stored == seen  # every field back, oldest first
    states = recipient_states(old.rcpt_to, stored)
    assert [s.state for s in states] == [State.DELIVERED, State.BOUNCED]
    assert states[1].bounce_class == 10 and states[1].reason == "550 5.1.1 unknown"
    # a reader naming only the columns it knows (an older Composer) reads the file as before
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, profile, status FROM sends").fetchall()
    assert rows == [(old.id, "old", "sent")]


def test_a_sends_events_are_bounded(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(history_events, "MAX_PER_SEND", 5)
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD)
    with History(path) as history:
        opens = [ev("open", "bob@example.com", i) for i in range(20)]
        assert history.add_events(1, opens, "now") == 5
        assert history.add_events(1, [ev("click", "bob@example.com", 30)], "now") == 0
        assert len(history.events([1])[1]) == 5


def test_a_send_is_found_by_its_message_id_with_or_without_brackets(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD)
    with History(path) as history:
        assert [e.id for e in history.find(message_id="a@x")] == [1]
        assert [e.id for e in history.find(message_id="<a@x>")] == [1]
        assert history.find(message_id="zz@x") == []
        assert [e.id for e in history.find(send_id=1)] == [1]
