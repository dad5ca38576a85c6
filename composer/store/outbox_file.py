"""The SQLite file under the outbox, and nothing about what its rows mean: opened in WAL mode
with synchronous=FULL (a committed state survives a power cut), 0600 before SQLite creates it,
the schema and its one migration, and damage found at any moment reported as OutboxDamaged
(naming the file and the way out) rather than as a bare "database disk image is malformed".

outbox.py owns the states and how an item moves between them; outbox_salvage.py, what to do
with a damaged file (``restore`` is its way back in).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Self

from composer.core.errors import OutboxDamaged
from composer.store.damaged import is_damage
from composer.store.outbox_items import COLUMNS
from composer.store.paths import make_private_file, prepare_sqlite

__all__ = ["OutboxFile"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created     TEXT NOT NULL,
    updated     TEXT NOT NULL,
    profile     TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    message_id  TEXT NOT NULL,
    mail_from   TEXT NOT NULL,
    rcpt_to     TEXT NOT NULL,          -- JSON list
    data        BLOB,                   -- exact DATA bytes; NULL once sent
    msys        TEXT,                   -- JSON X-MSYS-API object (REST needs it) or NULL
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT                    -- send_fingerprint(); NULL in rows from before it
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox(state);
"""
_INDEXES = "CREATE INDEX IF NOT EXISTS outbox_fingerprint ON outbox(fingerprint);"


class OutboxFile:
    """One connection to the outbox file, shared by the threads of one process (the GUI
    reads on its thread while the worker writes): every use holds ``_lock``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        prepare_sqlite(self.path)  # 0600 before SQLite makes it (and its -wal, -shm) 0644
        self._lock = threading.Lock()  # the GUI reads on its thread while the worker writes
        self._lock_path = make_private_file(self.path.with_name(self.path.name + ".lock"))
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._migrate()
            self._db.executescript(_INDEXES)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if is_damage(exc):
                raise OutboxDamaged(self.path, str(exc)) from exc
            raise

    def _migrate(self) -> None:
        have = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "fingerprint" in have:
            return
        try:
            with self._db:
                self._db.execute("ALTER TABLE outbox ADD COLUMN fingerprint TEXT")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):  # another process added it just now
                raise

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """Damage found while working (a page that no longer reads) is OutboxDamaged, which
        names the file and the way out, not a bare "database disk image is malformed"."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise OutboxDamaged(self.path, str(exc)) from exc
            raise

    def check(self) -> None:
        """Raise OutboxDamaged unless SQLite's own quick check finds the whole file sound."""
        with self._guard(), self._lock:
            found = self._db.execute("PRAGMA quick_check(1)").fetchone()[0]
        if found != "ok":
            raise OutboxDamaged(self.path, found)

    def _exec(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self._guard(), self._lock, self._db:
            return self._db.execute(sql, tuple(params)).rowcount

    def restore(self, rows: Iterable[list[Any]]) -> None:
        """Insert rows exactly as given, ids included, in ``COLUMNS`` order (salvage only)."""
        marks = ",".join("?" * len(COLUMNS.split(",")))
        with self._guard(), self._lock, self._db:
            self._db.executemany(f"INSERT INTO outbox ({COLUMNS}) VALUES ({marks})", rows)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file, so the file alone holds everything."""
        with self._guard(), self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
