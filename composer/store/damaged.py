"""SQLite files that are not (or no longer) databases: tell them apart and move them aside.

Only SQLITE_CORRUPT and SQLITE_NOTADB count as damage. "database is locked" or a full disk
are also ``sqlite3.DatabaseError`` (OperationalError is a subclass) but say nothing about the
file, and moving a healthy file aside for them would lose what it holds.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["is_damage", "move_aside"]

_DAMAGE_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}  # 11, 26


def is_damage(exc: BaseException) -> bool:
    """True when ``exc`` says the file itself is damaged (not busy, not out of space)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in _DAMAGE_CODES
    text = str(exc)
    return "not a database" in text or "malformed" in text


def move_aside(path: Path) -> Path:
    """Rename ``path`` to ``<name>.corrupt-<UTC time>`` and return the new path.

    Its -wal and -shm files go with it under the same new name: left behind, a stale WAL
    could be replayed into the fresh database made in its place."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, target.with_name(target.name + suffix))
    return target
