"""Salvage a damaged outbox: copy every row that can still be read into a fresh file at the
same path, and keep the damaged one beside it. ``composer outbox salvage`` runs it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composer.core.errors import ComposerError, OutboxDamaged
from composer.store.damaged import move_aside
from composer.store.locks import flock, unlock
from composer.store.outbox import Outbox
from composer.store.outbox_items import (
    AWAITING,
    COLUMNS,
    QUEUED,
    SENDING,
    UNKNOWN,
    UNKNOWN_HINT,
    OutboxItem,
    now_stamp,
)


@dataclass
class SalvageReport:
    """What ``salvage`` did. ``moved_to`` is None when the outbox was healthy (nothing done)."""

    moved_to: Path | None = None
    items: list[OutboxItem] = dataclasses.field(default_factory=list)
    complete: bool = True  # False when part of the file could not be read at all
    detail: str = ""


def _read_rows(path: Path) -> tuple[list[tuple[Any, ...]], bool, str]:
    """Every row that can be read from a damaged outbox file, as stored; whether the whole
    table could be read; and what stopped the reading."""
    rows: dict[int, tuple[Any, ...]] = {}
    try:
        db = sqlite3.connect(path, timeout=5)
    except sqlite3.Error as exc:
        return [], False, str(exc)
    try:
        try:
            have = {r[1] for r in db.execute("PRAGMA table_info(outbox)")}
        except sqlite3.DatabaseError as exc:
            return [], False, str(exc)
        cols = COLUMNS if "fingerprint" in have else COLUMNS.replace("fingerprint", "NULL")
        try:
            for row in db.execute(f"SELECT {cols} FROM outbox ORDER BY id"):
                rows[row[0]] = row
            return list(rows.values()), True, ""
        except sqlite3.DatabaseError as exc:
            stopped = str(exc)
        # The scan broke at a damaged page: look each later id up by its key, which may reach
        # rows stored beyond it. The highest id comes from AUTOINCREMENT's own table.
        top = max(rows, default=0)
        with contextlib.suppress(sqlite3.DatabaseError):
            seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()
            top = max(top, int(seq[0]) if seq else 0)
        for item_id in range(max(rows, default=0) + 1, top + 1):
            with contextlib.suppress(sqlite3.DatabaseError):
                row = db.execute(f"SELECT {cols} FROM outbox WHERE id=?", (item_id,)).fetchone()
                if row is not None:
                    rows[item_id] = row
        return list(rows.values()), False, stopped
    finally:
        db.close()


def salvage(path: str | Path) -> SalvageReport:
    """Copy every readable item of a damaged outbox into a fresh one at the same path, and
    keep the damaged file beside it as ``<name>.corrupt-<time>``. An item that was being sent
    becomes queued and one awaiting its final reply unknown, as after a crash. A healthy
    outbox is left alone. Refuses (ComposerError) while another process is sending."""
    path = Path(path)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+b") as lock:
        if not flock(lock, shared=False, block=False):
            raise ComposerError(
                "another Composer is sending from this outbox; salvage it when that ends"
            )
        try:
            return _salvage_locked(path)
        finally:
            unlock(lock)


def _salvage_locked(path: Path) -> SalvageReport:
    if not path.exists():
        return SalvageReport(detail="there is no outbox yet")
    try:
        with Outbox(path) as box:
            box.check()
        return SalvageReport(detail="the outbox is readable; nothing to salvage")
    except OutboxDamaged:
        pass
    rows, complete, stopped = _read_rows(path)
    fresh = path.with_name(path.name + ".salvage")
    for leftover in (fresh, *(fresh.with_name(fresh.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    now = now_stamp()
    restored: list[list[Any]] = []
    for row in rows:
        values = list(row)
        for i in range(1, 11):  # NOT NULL here, maybe not in the damaged file's table
            if values[i] is None:
                values[i] = 0 if i == 10 else ""
        if values[8] == SENDING:  # as recovery after a crash would
            values[8] = QUEUED
        elif values[8] == AWAITING:
            values[8] = UNKNOWN
            values[9] = f"interrupted while awaiting the final reply: {UNKNOWN_HINT}"
        values[2] = now
        restored.append(values)
    with Outbox(fresh) as box:
        box.restore(restored)
        items = box.items()
        box.checkpoint()
    moved_to = move_aside(path)
    os.replace(fresh, path)
    for suffix in ("-wal", "-shm"):
        fresh.with_name(fresh.name + suffix).unlink(missing_ok=True)
    return SalvageReport(moved_to, items, complete, stopped)
