"""Send history: every message a send tried, in SQLite in the data folder.

Time, profile, Message-ID, envelope, status, the server's reply, attempts, and for a REST
send the transmission id — never a key, and never the message body (the .eml is the person's
to keep, not ours to copy).

Databases written before a column existed gain it when opened (``_MIGRATIONS``): old rows read
as NULL there, and an older Composer still reads the file, since it names its columns. Tables
added later (the delivery events, history_events.py) are made the same way when a file without
them is opened.

A damaged history file never stops a send: the history only tells what happened, the outbox
decides what may be sent. The file is moved aside (``history.sqlite3.corrupt-<time>``, kept for
whoever wants to dig in), a new one is started, and the move is said once: a logged warning
(stderr in the CLI) and ``take_notices()`` for the window. A record that still cannot be
written is warned about and skipped, never raised into the send.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from composer.core.delivery import DeliveryEvent
from composer.core.outcome import MessageResult
from composer.store import history_events
from composer.store.damaged import is_damage, move_aside
from composer.store.paths import prepare_sqlite

log = logging.getLogger(__name__)

_notices: list[str] = []
_notices_lock = threading.Lock()


def take_notices() -> list[str]:
    """What the history had to do to a damaged file since the last call (for the window)."""
    with _notices_lock:
        taken = list(_notices)
        _notices.clear()
    return taken

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sends (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    time        TEXT NOT NULL,
    profile     TEXT NOT NULL,
    host        TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    mail_from   TEXT NOT NULL,
    rcpt_to     TEXT NOT NULL,      -- JSON list
    subject     TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,      -- sent | failed | unknown
    code        INTEGER,
    reply       TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    refused     TEXT NOT NULL DEFAULT '{}',  -- JSON {rcpt: [code, text]}
    attempts    INTEGER NOT NULL DEFAULT 0,
    size        INTEGER NOT NULL DEFAULT 0,
    transmission_id TEXT            -- REST sends only; NULL for SMTP
);
CREATE INDEX IF NOT EXISTS sends_time ON sends(time);
"""

# Columns added after the first release: (name, SQL type). ALTER TABLE ADD COLUMN with a NULL
# default is instant in SQLite and leaves every existing row as it was.
_MIGRATIONS = (("transmission_id", "TEXT"),)


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    time: str
    profile: str
    host: str
    message_id: str
    mail_from: str
    rcpt_to: list[str]
    subject: str
    status: str
    code: int | None
    reply: str
    error: str
    refused: dict[str, Any]
    attempts: int
    size: int
    transmission_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class History:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.moved_to: Path | None = None
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            self._move_aside(exc)
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        # One connection per History; the send path records from its own thread, so the
        # GUI and the CLI each make their own History there.
        prepare_sqlite(self.path)  # 0600 before SQLite makes it (and its -wal, -shm) 0644
        db = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL, not FULL: in WAL mode a commit then survives the process dying (what
            # a crash is) and only an OS crash or power cut can lose the last few records.
            # The outbox, not the history, is what decides whether a message may be sent
            # again, and a synchronous commit per message here cost a third of the send rate.
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.executescript(history_events.SCHEMA)  # delivery events (issue 18)
            self._db = db
            self._migrate()
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self, exc: BaseException) -> None:
        self.moved_to = move_aside(self.path)
        notice = (
            f"the send history {self.path} could not be read ({exc}); it was moved aside to "
            f"{self.moved_to.name} and a new history was started"
        )
        log.warning("%s", notice)
        with _notices_lock:
            _notices.append(notice)

    def _migrate(self) -> None:
        have = {row[1] for row in self._db.execute("PRAGMA table_info(sends)")}
        for name, kind in _MIGRATIONS:
            if name in have:
                continue
            try:
                with self._db:
                    self._db.execute(f"ALTER TABLE sends ADD COLUMN {name} {kind}")
            except sqlite3.OperationalError as exc:
                # Another process (the window and the CLI) added it a moment ago: fine.
                if "duplicate column" not in str(exc):
                    raise

    def record(self, *, profile: str, host: str, subject: str, result: MessageResult) -> None:
        """Record one send's result. Never raises for the file: a send goes on."""
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            profile,
            host,
            result.message_id,
            result.mail_from,
            json.dumps(result.rcpt_to),
            subject,
            str(result.status),
            result.code,
            result.reply,
            result.error,
            json.dumps({k: list(v) for k, v in result.refused.items()}),
            result.attempts,
            result.size,
            result.transmission_id,
        )
        for attempt in (1, 2):
            try:
                self._insert(row)
                return
            except sqlite3.Error as exc:
                if attempt == 1 and is_damage(exc):  # damaged while open: start a new file
                    self._db.close()
                    self._move_aside(exc)
                    try:
                        self._db = self._open()
                    except sqlite3.Error as again:
                        exc = again
                    else:
                        continue
                log.warning("not recorded in the send history %s: %s", self.path, exc)
                return

    def _insert(self, row: tuple[Any, ...]) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO sends (time, profile, host, message_id, mail_from, rcpt_to,"
                " subject, status, code, reply, error, refused, attempts, size, transmission_id)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )

    def recent(self, limit: int = 20) -> list[HistoryEntry]:
        return self._select("ORDER BY id DESC LIMIT ?", (limit,))

    def find(
        self, *, send_id: int | None = None, message_id: str | None = None
    ) -> list[HistoryEntry]:
        """Sends by their history id, or by the Message-ID they carried (newest first)."""
        if send_id is not None:
            return self._select("WHERE id = ?", (send_id,))
        mid = (message_id or "").strip().strip("<>")
        return self._select("WHERE message_id IN (?, ?) ORDER BY id DESC", (mid, f"<{mid}>"))

    # --- delivery events (store/history_events.py) ---------------------------------------

    def add_events(
        self, send_id: int, events: list[DeliveryEvent], checked: str, note: str = ""
    ) -> int:
        return history_events.add_events(self._db, send_id, events, checked, note)

    def events(self, send_ids: list[int]) -> dict[int, list[DeliveryEvent]]:
        return history_events.load_events(self._db, send_ids)

    def last_check(self, send_id: int) -> history_events.Check | None:
        return history_events.load_check(self._db, send_id)

    def _select(self, where: str, params: tuple[Any, ...]) -> list[HistoryEntry]:
        try:
            rows = self._db.execute(
                "SELECT id, time, profile, host, message_id, mail_from, rcpt_to, subject,"
                " status, code, reply, error, refused, attempts, size, transmission_id"
                f" FROM sends {where}",
                params,
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            self._db.close()
            self._move_aside(exc)
            self._db = self._open()
            return []
        return [
            HistoryEntry(
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                json.loads(row[6]),
                row[7],
                row[8],
                row[9],
                row[10],
                row[11],
                json.loads(row[12]),
                row[13],
                row[14],
                row[15],
            )
            for row in rows
        ]

    def sandbox_sends(self, profile: str, domains: tuple[str, ...]) -> int:
        """Messages sent (or maybe sent) with ``profile`` From an address on one of the sandbox
        ``domains``, one per envelope recipient: what the relay's lifetime allowance counts.
        A read only; a damaged file counts as none here (the next write moves it aside)."""
        if not domains:
            return 0
        like = " OR ".join("lower(mail_from) LIKE ?" for _ in domains)
        try:
            rows = self._db.execute(
                f"SELECT rcpt_to FROM sends WHERE profile = ? AND status IN ('sent', 'unknown')"
                f" AND ({like})",
                (profile, *(f"%@{d}" for d in domains)),
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            return 0
        total = 0
        for (rcpt_to,) in rows:
            try:
                total += max(1, len(json.loads(rcpt_to)))
            except (ValueError, TypeError):
                total += 1
        return total

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
