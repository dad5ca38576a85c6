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
Typed on OutgoingMessage and core.outcome.MessageResult (core vocabulary, below the store).

"The same send" (``send_fingerprint``). Running the same `composer send` again after a crash
must not quietly send everyone a second copy while the first copies still wait here. Two
builds of one draft differ only in what is made fresh per build: the Date, the Message-ID and
the MIME boundaries. So a message's fingerprint is a SHA-256 of its envelope (MAIL FROM, RCPT
TO) and its bytes with those three taken out; every row stores it. ``enqueue`` refuses (with
``StillInOutbox``) a message whose fingerprint matches an item still queued, being sent or of
unknown outcome, unless the caller says ``new_copies`` (the person decided). Failed items do
not count (nothing of them went out) and neither do sent ones (sending a test again once it has
gone is an ordinary thing to do). The check and the insert are one IMMEDIATE transaction, so
two identical sends started at once cannot both pass it.

A damaged file (``OutboxDamaged``) stops every send: it may hold items waiting or of unknown
outcome, and starting a fresh file would forget them. ``salvage`` copies what can be read into
a new outbox. One damaged row (a wrong type, an unknown state, undecodable JSON) is listed with
``problem`` set and is never sent; it does not hide the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from composer.core.build import Envelope, OutgoingMessage
from composer.core.errors import ComposerError, ExitCode, OutboxDamaged
from composer.core.outcome import MessageResult, Status
from composer.store.damaged import is_damage, move_aside
from composer.store.paths import make_private_file, prepare_sqlite

QUEUED, SENDING, AWAITING = Status.QUEUED, Status.SENDING, Status.AWAITING
SENT, FAILED, UNKNOWN = Status.SENT, Status.FAILED, Status.UNKNOWN
STATES = tuple(Status)
# The states in which an item of a send is "still in the outbox" for a rerun of that send: it
# will go out on resume, is going out now, or may have gone out.
HELD = (QUEUED, SENDING, AWAITING, UNKNOWN)
UNKNOWN_HINT = "may have been sent — check before resending"
SALVAGE_COMMAND = OutboxDamaged.SALVAGE_COMMAND



class StillInOutbox(ComposerError):
    """Copies of these messages are still queued, being sent or of unknown outcome."""

    exit_code = ExitCode.INVALID

    def __init__(self, held: list[OutboxItem]) -> None:
        self.held = held
        super().__init__(
            f"{len(held)} messages of this send are still in the outbox: "
            "`composer outbox resume` or `composer outbox discard`"
        )

    @property
    def detail(self) -> str:
        """One more line: which items, in which states, and the way to send anyway."""
        counts = {s: sum(i.state == s for i in self.held) for s in HELD}
        parts = [f"{n} {s}" for s, n in counts.items() if n]
        ids = id_ranges(i.id for i in self.held)
        return (
            f"items {ids} ({', '.join(parts)}): `composer outbox discard {ids}` forgets them; "
            "--new-copies sends new copies anyway"
        )


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

_VOLATILE_HEADERS = (b"date", b"message-id")
_BOUNDARY = re.compile(rb'boundary="?([^";\r\n]+)"?', re.IGNORECASE)


def send_fingerprint(message: OutgoingMessage) -> str:
    """What stays the same when the same draft is built again for the same recipients: the
    envelope and the bytes without Date, Message-ID and the (random) MIME boundaries."""
    head, sep, body = message.data.partition(b"\r\n\r\n")
    fields: list[bytes] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += b"\r\n" + line  # a folded continuation belongs to its field
        else:
            fields.append(line)
    kept = [f for f in fields if f.split(b":", 1)[0].strip().lower() not in _VOLATILE_HEADERS]
    data = b"\r\n".join(kept) + sep + body
    for n, boundary in enumerate(dict.fromkeys(_BOUNDARY.findall(data))):
        data = data.replace(boundary, b"<boundary %d>" % n)
    h = hashlib.sha256()
    h.update(message.envelope.mail_from.encode("utf-8", "surrogatepass") + b"\0")
    h.update("\0".join(message.envelope.rcpt_to).encode("utf-8", "surrogatepass") + b"\0")
    h.update(data)
    return h.hexdigest()


def id_ranges(ids: Iterable[int]) -> str:
    """[3, 4, 5, 9] -> "3-5 9": short enough for one line, and what ``discard`` accepts."""
    out: list[str] = []
    run: list[int] = []
    for i in sorted(set(ids)):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [i]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return " ".join(out)


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
    fingerprint: str | None = None
    # Set when the row could not be read as written (wrong type, unknown state, bad JSON):
    # the item is listed with this, can be discarded, and is never sent.
    problem: str = ""

    def message(self) -> OutgoingMessage:
        if self.problem:
            raise ValueError(f"outbox item {self.id} is damaged: {self.problem}")
        if self.data is None:
            raise ValueError(f"outbox item {self.id} holds no bytes (it was sent)")
        return OutgoingMessage(
            Envelope(self.mail_from, tuple(self.rcpt_to)), self.data, self.message_id, self.msys
        )

    def as_json(self) -> dict[str, Any]:
        d = {k: v for k, v in self.__dict__.items() if k not in ("data", "msys", "problem")}
        d["size"] = len(self.data) if self.data is not None else None
        if self.state == UNKNOWN:
            d["hint"] = UNKNOWN_HINT
        if self.problem:
            d["problem"] = self.problem
        return d


_SENT_SQL = "UPDATE outbox SET state=?, updated=?, reason=?, data=NULL, msys=NULL WHERE id=?"

_COLUMNS = (
    "id, created, updated, profile, subject, message_id, mail_from, rcpt_to, state, reason,"
    " attempts, data, msys, fingerprint"
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


def _text(value: Any, name: str, problems: list[str]) -> str:
    if isinstance(value, str):
        return value
    problems.append(f"{name} is {type(value).__name__}, not text")
    return "" if value is None else str(value)


def _item(row: tuple[Any, ...]) -> OutboxItem:
    """One row as an item; a row that is not as written comes back with ``problem`` set
    instead of raising, so one bad row never makes the whole outbox unreadable."""
    problems: list[str] = []
    created, updated, profile, subject, message_id, mail_from = (
        _text(v, n, problems)
        for v, n in zip(
            row[1:7],
            ("created", "updated", "profile", "subject", "message_id", "mail_from"),
            strict=True,
        )
    )
    rcpt_to: list[str] = []
    try:
        loaded = json.loads(row[7])
        if not (isinstance(loaded, list) and all(isinstance(r, str) for r in loaded)):
            raise ValueError("not a list of addresses")
        rcpt_to = loaded
    except (TypeError, ValueError) as exc:
        problems.append(f"rcpt_to is not a JSON list of addresses ({exc})")
    state = _text(row[8], "state", problems)
    if state not in STATES:
        problems.append(f"state {state!r} is not one of {', '.join(STATES)}")
    reason = _text(row[9], "reason", problems)
    attempts = row[10] if isinstance(row[10], int) else 0
    if not isinstance(row[10], int):
        problems.append(f"attempts is {type(row[10]).__name__}, not a number")
    data = row[11]
    if data is not None and not isinstance(data, bytes):
        problems.append(f"data is {type(data).__name__}, not bytes")
        data = None
    msys: dict[str, Any] | None = None
    if row[12]:
        try:
            msys = json.loads(row[12])
            if not isinstance(msys, dict):
                raise ValueError("not an object")
        except (TypeError, ValueError) as exc:
            problems.append(f"msys is not a JSON object ({exc})")
            msys = None
    fingerprint = row[13] if isinstance(row[13], str) else None
    if state in (QUEUED, SENDING, AWAITING) and data is None and not problems:
        problems.append("it holds no message bytes")
    return OutboxItem(
        row[0],
        created,
        updated,
        profile,
        subject,
        message_id,
        mail_from,
        rcpt_to,
        state,
        reason,
        attempts,
        data,
        msys,
        fingerprint,
        "; ".join(problems),
    )


class Outbox:
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

    # --- writes: each is one committed transaction -------------------------------------------

    def _exec(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self._guard(), self._lock, self._db:
            return self._db.execute(sql, tuple(params)).rowcount

    def enqueue(
        self,
        messages: Iterable[OutgoingMessage],
        profile: str,
        subject: str = "",
        *,
        new_copies: bool = False,
    ) -> list[int]:
        """Write every message, exact bytes, in one transaction; return their ids in order.

        Raises StillInOutbox, writing nothing, when copies of any of them are still held
        (queued, being sent, unknown) — unless ``new_copies``: the person chose to send again."""
        ids: list[int] = []
        now = _now()
        todo = [(m, send_fingerprint(m)) for m in messages]
        # New items go only into a sound file: a damaged part may hide held copies of them
        # or items whose outcome is unknown. (A few ms for an outbox of thousands of rows.)
        self.check()
        with self._guard(), self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")  # the check and the insert are one step
            if not new_copies:
                held = self._held([f for _m, f in todo])
                if held:
                    raise StillInOutbox(held)
            for m, fingerprint in todo:
                cur = self._db.execute(
                    "INSERT INTO outbox (created, updated, profile, subject, message_id,"
                    " mail_from, rcpt_to, data, msys, state, fingerprint)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
                        fingerprint,
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
        return ids

    def _held(self, fingerprints: list[str]) -> list[OutboxItem]:
        """Items with one of these fingerprints still held (caller holds ``_lock``)."""
        found: list[OutboxItem] = []
        wanted = list(dict.fromkeys(fingerprints))
        marks = ",".join("?" * len(HELD))
        for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
            chunk = wanted[start : start + 500]
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state IN ({marks})"
                f" AND fingerprint IN ({','.join('?' * len(chunk))}) ORDER BY id",
                (*HELD, *chunk),
            ).fetchall()
            found += [_item(r) for r in rows]
        return sorted(found, key=lambda i: i.id)

    def held_copies(self, messages: Iterable[OutgoingMessage]) -> list[OutboxItem]:
        """The items still held (queued, being sent, unknown) that are copies of these."""
        with self._guard(), self._lock:
            return self._held([send_fingerprint(m) for m in messages])

    def claim(self, ids: Iterable[int]) -> list[OutboxItem]:
        """queued -> sending for these ids (committed before any connection); the items
        actually claimed, in id order (another process may have claimed some)."""
        wanted = list(ids)
        now = _now()
        with self._guard(), self._lock, self._db:
            for i in wanted:
                self._db.execute(
                    "UPDATE outbox SET state=?, updated=? WHERE id=? AND state=?",
                    (SENDING, now, i, QUEUED),
                )
        got = [g for g in (self.get(i) for i in wanted) if g is not None and g.state == SENDING]
        damaged = [g.id for g in got if g.problem]
        if damaged:  # claimed by the UPDATE above, but it cannot be sent: leave it as it was
            with self._guard(), self._lock, self._db:
                self._db.executemany(
                    "UPDATE outbox SET state=? WHERE id=?", [(QUEUED, i) for i in damaged]
                )
        return [g for g in got if not g.problem]

    def claim_next(self) -> OutboxItem | None:
        """The oldest queued item, now "sending"; None when the queue is empty."""
        after = 0
        while True:
            with self._guard(), self._lock:
                row = self._db.execute(
                    "SELECT id FROM outbox WHERE state=? AND id>? ORDER BY id LIMIT 1",
                    (QUEUED, after),
                ).fetchone()
            if row is None:
                return None
            after = row[0]  # a damaged item stays queued: look past it next time round
            claimed = self.claim([after])
            if claimed:
                return claimed[0]

    def mark_awaiting(self, item_id: int) -> None:
        self.advance(item_id, [])

    def advance(self, awaiting: int | None, sent: list[tuple[int, str]]) -> None:
        """In one transaction: the ``sent`` items (id, reply) are sent and ``awaiting`` (if
        any) is awaiting its final reply. See OutboxMover for why these go together."""
        now = _now()
        with self._guard(), self._lock, self._db:
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

    def record(self, item_id: int, result: MessageResult) -> Status:
        """Move an item by a send's result; return the new state.

        The state is the result's own status, what the person was told: a message reported
        "failed" (a refusal, retries given up, not tried after a failure that stopped the
        batch, cancelled) is failed here too, and never goes out again on a resume unless
        the person resends it."""
        status = Status(result.status)  # a plain "unknown" must never be taken for failed
        if status is Status.SENT:
            self.mark_sent(item_id, f"{result.code or ''} {result.reply}".strip())
            return SENT
        if status is Status.UNKNOWN:
            self.mark_unknown(item_id, result.error)
            return UNKNOWN
        self.mark_failed(item_id, result.error or f"{result.code or ''} {result.reply}".strip())
        return FAILED

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
        with self._guard(), self._lock, self._db:
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
        with self._guard(), self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE id=?", (item_id,)
            ).fetchone()
        return _item(row) if row else None

    def items(self, *states: str) -> list[OutboxItem]:
        marks = ",".join("?" * len(states))
        where = f" WHERE state IN ({marks})" if states else ""
        with self._guard(), self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox{where} ORDER BY id", states
            ).fetchall()
        return [_item(r) for r in rows]

    def pending(self) -> list[OutboxItem]:
        return self.items(QUEUED, SENDING, AWAITING)

    def sendable(self) -> list[OutboxItem]:
        """The queued items that can be sent (a damaged one cannot)."""
        return [i for i in self.items(QUEUED) if not i.problem]

    def damaged(self) -> list[OutboxItem]:
        """Every row that could not be read as written, whatever its state says."""
        return [i for i in self.items() if i.problem]

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
    ``before_final_reply`` and ``on_result`` go into batch.Hooks, and ``flush`` runs once the
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

    def before_final_reply(self, message: OutgoingMessage) -> None:
        self._outbox.advance(self._by_mid[message.message_id], self._take())

    def on_result(self, result: MessageResult) -> None:
        item_id = self._by_index[result.index]
        if Status(result.status) is Status.SENT:
            self._sent.append((item_id, f"{result.code or ''} {result.reply}".strip()))
        else:
            self._outbox.record(item_id, result)

    def flush(self) -> None:
        if self._sent:
            self._outbox.advance(None, self._take())

    def _take(self) -> list[tuple[int, str]]:
        sent, self._sent = self._sent, []
        return sent


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
        cols = _COLUMNS if "fingerprint" in have else _COLUMNS.replace("fingerprint", "NULL")
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
        if not _flock(lock, shared=False, block=False):
            raise ComposerError(
                "another Composer is sending from this outbox; salvage it when that ends"
            )
        try:
            return _salvage_locked(path)
        finally:
            _unlock(lock)


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
    now = _now()
    with Outbox(fresh) as box, box._lock, box._db:
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
            box._db.execute(
                f"INSERT INTO outbox ({_COLUMNS}) VALUES ({','.join('?' * len(values))})",
                values,
            )
    with Outbox(fresh) as box:
        items = box.items()
        box._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    moved_to = move_aside(path)
    os.replace(fresh, path)
    for suffix in ("-wal", "-shm"):
        fresh.with_name(fresh.name + suffix).unlink(missing_ok=True)
    return SalvageReport(moved_to, items, complete, stopped)
