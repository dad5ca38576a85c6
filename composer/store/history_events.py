"""The history's delivery events: what the relay's Events API said became of each send's
recipients, kept beside the send so the history shows it offline later.

Two tables in the history's own file, made when it is opened (``CREATE TABLE IF NOT EXISTS``:
a file written before them gains them and loses nothing; an older Composer never names them):

    events        one row per event per send; the same event seen again (another page,
                  another poll) is the same row (send_id, key)
    event_checks  when the events of a send were last asked for, and what that said

Bounded: at most ``MAX_PER_SEND`` events per send (a message to a few recipients has a handful;
opens and clicks could grow without end).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

from composer.core.delivery import DeliveryEvent

__all__ = ["MAX_PER_SEND", "SCHEMA", "Check", "add_events", "load_check", "load_events"]

MAX_PER_SEND = 2000

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    send_id     INTEGER NOT NULL,
    key         TEXT NOT NULL,          -- the event's id, or type|time|recipient
    type        TEXT NOT NULL,
    timestamp   TEXT NOT NULL,
    rcpt_to     TEXT NOT NULL,
    data        TEXT NOT NULL,          -- JSON: every field Composer keeps of the event
    PRIMARY KEY (send_id, key)
);
CREATE TABLE IF NOT EXISTS event_checks (
    send_id     INTEGER PRIMARY KEY,
    checked     TEXT NOT NULL,          -- when the relay was last asked (UTC, ISO 8601)
    note        TEXT NOT NULL DEFAULT '' -- what went wrong asking, "" when it answered
);
"""

_FIELDS = {f.name for f in fields(DeliveryEvent)}


@dataclass(frozen=True)
class Check:
    checked: str
    note: str


def add_events(
    db: sqlite3.Connection, send_id: int, events: Iterable[DeliveryEvent], checked: str, note: str
) -> int:
    """Store what a check found (new events only) and when it was made; the number added."""
    with db:
        have = db.execute("SELECT COUNT(*) FROM events WHERE send_id = ?", (send_id,)).fetchone()[0]
        added = 0
        for ev in events:
            if have + added >= MAX_PER_SEND:
                break
            cur = db.execute(
                "INSERT OR IGNORE INTO events (send_id, key, type, timestamp, rcpt_to, data)"
                " VALUES (?,?,?,?,?,?)",
                (send_id, ev.key, ev.type, ev.timestamp, ev.rcpt_to, json.dumps(ev.as_json())),
            )
            added += cur.rowcount
        db.execute(
            "INSERT INTO event_checks (send_id, checked, note) VALUES (?,?,?)"
            " ON CONFLICT(send_id) DO UPDATE SET checked = excluded.checked, note = excluded.note",
            (send_id, checked, note),
        )
    return added


def _event(data: str) -> DeliveryEvent | None:
    try:
        raw: Any = json.loads(data)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    kept = {k: v for k, v in raw.items() if k in _FIELDS}
    try:
        return DeliveryEvent(**kept)
    except TypeError:  # a row missing type, timestamp or rcpt_to
        return None


def load_events(db: sqlite3.Connection, send_ids: Iterable[int]) -> dict[int, list[DeliveryEvent]]:
    """The stored events of each send, oldest first."""
    ids = list(send_ids)
    out: dict[int, list[DeliveryEvent]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(
            f"SELECT send_id, data FROM events WHERE send_id IN ({marks})"
            " ORDER BY timestamp, rowid",
            chunk,
        ).fetchall()
        for send_id, data in rows:
            ev = _event(data)
            if ev is not None:
                out[send_id].append(ev)
    return out


def load_check(db: sqlite3.Connection, send_id: int) -> Check | None:
    row = db.execute(
        "SELECT checked, note FROM event_checks WHERE send_id = ?", (send_id,)
    ).fetchone()
    return Check(row[0], row[1]) if row else None
