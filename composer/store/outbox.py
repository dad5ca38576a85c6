"""The durable outbox: every message is written here, exact bytes and Message-ID, before any
connection is opened, and moves through its send states in SQLite (WAL, synchronous=FULL).

    queued -> sending -> awaiting -> sent
                                  -> failed   (permanent refusal, with the server's reason)
                                  -> queued   (transient: tried again later, same bytes)
                                  -> unknown  (the final reply never came)

"awaiting" (awaiting the final reply) is committed before the final "." goes out, so a crash
at any moment leaves an honest record. ``recover_on_start`` puts an item left in "sending"
back in the queue (the relay cannot have accepted it) and turns one left "awaiting" into
"unknown": after the final "." the relay may have it (RFC 5321 §6.1), and it is never sent
again unless the person asks (``resend``). A resend sends the very same bytes, Message-ID
included, so a relay or a reader can tell a copy from a new message.

The bytes of a sent message are dropped once the relay has it: the outbox is not an archive.
Duck-typed on OutgoingMessage / MessageResult to stay below the transport layer.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from composer.core.build import Envelope, OutgoingMessage
from composer.store.paths import app_paths, make_private_file, prepare_sqlite

QUEUED, SENDING, AWAITING = "queued", "sending", "awaiting"
SENT, FAILED, UNKNOWN = "sent", "failed", "unknown"
STATES = (QUEUED, SENDING, AWAITING, SENT, FAILED, UNKNOWN)
UNKNOWN_HINT = "may have been sent — check before resending"

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
    attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox(state);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class OutboxItem:
    id: int
    created: str
    updated: str
    profile: str
    subject: str
    message_id: str
    mail_from: str
    rcpt_to: list[str]
    state: str
    reason: str
    attempts: int
    data: bytes | None = None
    msys: dict[str, Any] | None = None

    def message(self) -> OutgoingMessage:
        if self.data is None:
            raise ValueError(f"outbox item {self.id} holds no bytes (it was sent)")
        return OutgoingMessage(
            Envelope(self.mail_from, tuple(self.rcpt_to)), self.data, self.message_id, self.msys
        )

    def as_json(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k not in ("data", "msys")}
        d["size"] = len(self.data) if self.data is not None else None
        if self.state == UNKNOWN:
            d["hint"] = UNKNOWN_HINT
        return d


_SENT_SQL = "UPDATE outbox SET state=?, updated=?, reason=?, data=NULL, msys=NULL WHERE id=?"

_COLUMNS = (
    "id, created, updated, profile, subject, message_id, mail_from, rcpt_to, state, reason,"
    " attempts, data, msys"
)


def _flock(f: Any, *, shared: bool, block: bool) -> bool:
    """POSIX advisory lock; True when taken. Elsewhere (Windows) always True: the guard against
    a concurrent recovery is then only the person not running two Composers at once."""
    try:
        import fcntl
    except ImportError:
        return True
    flags = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | (0 if block else fcntl.LOCK_NB)
    try:
        fcntl.flock(f.fileno(), flags)
    except BlockingIOError:
        return False
    return True


def _unlock(f: Any) -> None:
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _item(row: tuple[Any, ...]) -> OutboxItem:
    return OutboxItem(
        *row[:7],
        json.loads(row[7]),
        row[8],
        row[9],
        row[10],
        bytes(row[11]) if row[11] is not None else None,
        json.loads(row[12]) if row[12] else None,
    )


class Outbox:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else app_paths().data / "outbox.sqlite3"
        prepare_sqlite(self.path)  # 0600 before SQLite makes it (and its -wal, -shm) 0644
        self._lock = threading.Lock()  # the GUI reads on its thread while the worker writes
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._lock_path = make_private_file(self.path.with_name(self.path.name + ".lock"))

    # --- writes: each is one committed transaction -------------------------------------------

    def _exec(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self._lock, self._db:
            return self._db.execute(sql, tuple(params)).rowcount

    def enqueue(
        self, messages: Iterable[OutgoingMessage], profile: str, subject: str = ""
    ) -> list[int]:
        """Write every message, exact bytes, in one transaction; return their ids in order."""
        ids: list[int] = []
        now = _now()
        with self._lock, self._db:
            for m in messages:
                cur = self._db.execute(
                    "INSERT INTO outbox (created, updated, profile, subject, message_id,"
                    " mail_from, rcpt_to, data, msys, state) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        now,
                        now,
                        profile,
                        subject,
                        m.message_id,
                        m.envelope.mail_from,
                        json.dumps(list(m.envelope.rcpt_to)),
                        bytes(m.data),
                        json.dumps(m.msys) if m.msys is not None else None,
                        QUEUED,
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    def claim(self, ids: Iterable[int]) -> list[OutboxItem]:
        """queued -> sending for these ids (committed before any connection); the items
        actually claimed, in id order (another process may have claimed some)."""
        wanted = list(ids)
        now = _now()
        with self._lock, self._db:
            for i in wanted:
                self._db.execute(
                    "UPDATE outbox SET state=?, updated=? WHERE id=? AND state=?",
                    (SENDING, now, i, QUEUED),
                )
        got = [self.get(i) for i in wanted]
        return [g for g in got if g is not None and g.state == SENDING]

    def claim_next(self) -> OutboxItem | None:
        """The oldest queued item, now "sending"; None when the queue is empty."""
        while True:
            with self._lock:
                row = self._db.execute(
                    "SELECT id FROM outbox WHERE state=? ORDER BY id LIMIT 1", (QUEUED,)
                ).fetchone()
            if row is None:
                return None
            claimed = self.claim([row[0]])
            if claimed:
                return claimed[0]

    def mark_awaiting(self, item_id: int) -> None:
        self.advance(item_id, [])

    def advance(self, awaiting: int | None, sent: list[tuple[int, str]]) -> None:
        """In one transaction: the ``sent`` items (id, reply) are sent and ``awaiting`` (if
        any) is awaiting its final reply. See OutboxMover for why these go together."""
        now = _now()
        with self._lock, self._db:
            for item_id, reason in sent:
                self._db.execute(_SENT_SQL, (SENT, now, reason, item_id))
            if awaiting is not None:
                self._db.execute(
                    "UPDATE outbox SET state=?, updated=?, attempts=attempts+1 WHERE id=?",
                    (AWAITING, now, awaiting),
                )

    def mark_sent(self, item_id: int, reason: str = "") -> None:
        self._exec(_SENT_SQL, (SENT, _now(), reason, item_id))

    def mark_failed(self, item_id: int, reason: str) -> None:
        self._exec(
            "UPDATE outbox SET state=?, updated=?, reason=? WHERE id=?",
            (FAILED, _now(), reason, item_id),
        )

    def mark_transient(self, item_id: int, reason: str) -> None:
        self._exec(
            "UPDATE outbox SET state=?, updated=?, reason=? WHERE id=?",
            (QUEUED, _now(), reason, item_id),
        )

    def mark_unknown(self, item_id: int, reason: str = "") -> None:
        self._exec(
            "UPDATE outbox SET state=?, updated=?, reason=? WHERE id=?",
            (UNKNOWN, _now(), reason or f"the final reply never came: {UNKNOWN_HINT}", item_id),
        )

    def record(self, item_id: int, result: Any) -> str:
        """Move an item by a MessageResult (composer.transport.sender); return the new state."""
        status = result.status
        if status == "sent":
            self.mark_sent(item_id, f"{result.code or ''} {result.reply}".strip())
            return SENT
        if status == "unknown":
            self.mark_unknown(item_id, result.error)
            return UNKNOWN
        reason = result.error or f"{result.code or ''} {result.reply}".strip()
        if getattr(result, "exit_code", 4) == 3:  # a 5xx: permanent
            self.mark_failed(item_id, reason)
            return FAILED
        self.mark_transient(item_id, reason)
        return QUEUED

    @contextlib.contextmanager
    def sending(self) -> Iterator[None]:
        """Held by every process from enqueue/claim until its batch ends (a shared lock on
        ``outbox.lock``). Recovery needs the lock exclusively, so it never touches items a
        living process is still working on — a window opened during a `composer send` does
        not re-queue that send's in-flight items."""
        with open(self._lock_path, "a+b") as f:
            _flock(f, shared=True, block=True)
            try:
                yield
            finally:
                _unlock(f)

    def recover_on_start(self) -> tuple[int, int]:
        """After a crash: sending -> queued, awaiting -> unknown. (requeued, made unknown).

        Does nothing, and says (0, 0), while another process is sending (see ``sending``)."""
        with open(self._lock_path, "a+b") as f:
            if not _flock(f, shared=False, block=False):
                return 0, 0
            try:
                return self._recover()
            finally:
                _unlock(f)

    def _recover(self) -> tuple[int, int]:
        now = _now()
        with self._lock, self._db:
            requeued = self._db.execute(
                "UPDATE outbox SET state=?, updated=? WHERE state=?", (QUEUED, now, SENDING)
            ).rowcount
            unknown = self._db.execute(
                "UPDATE outbox SET state=?, updated=?, reason=? WHERE state=?",
                (
                    UNKNOWN,
                    now,
                    f"interrupted while awaiting the final reply: {UNKNOWN_HINT}",
                    AWAITING,
                ),
            ).rowcount
        return requeued, unknown

    def resend(self, item_id: int) -> bool:
        """Queue a failed or unknown item again, by the person's explicit request only."""
        return (
            self._exec(
                "UPDATE outbox SET state=?, updated=?, reason=? WHERE id=? AND state IN (?,?)",
                (QUEUED, _now(), "queued again by request", item_id, FAILED, UNKNOWN),
            )
            == 1
        )

    def discard(self, item_id: int) -> bool:
        """Forget an item that is not being sent right now (its bytes go with it)."""
        return (
            self._exec(
                "DELETE FROM outbox WHERE id=? AND state NOT IN (?,?)",
                (item_id, SENDING, AWAITING),
            )
            == 1
        )

    # --- reads ------------------------------------------------------------------------------

    def get(self, item_id: int) -> OutboxItem | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE id=?", (item_id,)
            ).fetchone()
        return _item(row) if row else None

    def items(self, *states: str) -> list[OutboxItem]:
        marks = ",".join("?" * len(states))
        where = f" WHERE state IN ({marks})" if states else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox{where} ORDER BY id", states
            ).fetchall()
        return [_item(r) for r in rows]

    def pending(self) -> list[OutboxItem]:
        return self.items(QUEUED, SENDING, AWAITING)

    def failed(self) -> list[OutboxItem]:
        return self.items(FAILED)

    def unknown(self) -> list[OutboxItem]:
        return self.items(UNKNOWN)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OutboxMover:
    """Moves ``items`` (sent in this order by send_batch) through their states; its
    ``before_final_reply`` and ``on_result`` go into sender.Hooks, and ``flush`` runs once the
    batch ends, whatever happened.

    One synchronous commit per message, not two: a "sent" is not written on its own but in the
    same transaction as the next message's "awaiting" (or by ``flush``). The "awaiting" must be
    on disk before the final "." — that is what keeps a crash from ever sending a message
    twice; a "sent" may wait, because if the process dies before it is written the item is left
    "awaiting" and recovery calls it "unknown": the honest, never-resent side. Other outcomes
    (failed, unknown, queued again) are rare and written at once.

    (Tried and measured: starting the "awaiting" commit on a helper thread so the disk's sync
    overlaps MAIL/RCPT/DATA. It was slower — the GIL hand-offs cost more than the sync — so the
    commit stays on the sending thread.)"""

    def __init__(self, outbox: Outbox, items: list[OutboxItem]) -> None:
        self._outbox = outbox
        self._by_index = {i: item.id for i, item in enumerate(items)}
        self._by_mid = {item.message_id: item.id for item in items}
        self._sent: list[tuple[int, str]] = []

    def before_final_reply(self, message: Any) -> None:
        self._outbox.advance(self._by_mid[message.message_id], self._take())

    def on_result(self, result: Any) -> None:
        item_id = self._by_index[result.index]
        if result.status == "sent":
            self._sent.append((item_id, f"{result.code or ''} {result.reply}".strip()))
        else:
            self._outbox.record(item_id, result)

    def flush(self) -> None:
        if self._sent:
            self._outbox.advance(None, self._take())

    def _take(self) -> list[tuple[int, str]]:
        sent, self._sent = self._sent, []
        return sent
