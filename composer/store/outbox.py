"""The durable outbox: every message is written here, exact bytes and Message-ID, before any
connection is opened, and moves through its send states in SQLite (WAL, synchronous=FULL).

    queued -> sending -> awaiting -> sent
                                  -> failed   (permanent refusal, with the server's reason)
                                  -> queued   (transient: tried again later, same bytes)
                                  -> sending  (transient, retried by this process after a wait)
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
outcome, and starting a fresh file would forget them. ``outbox_salvage.salvage`` copies what
can be read into a new outbox. One damaged row (a wrong type, an unknown state, undecodable
JSON) is listed with ``problem`` set and is never sent; it does not hide the others.
The item type, row decoding and the fingerprint live in ``outbox_items``; the SQLite file
itself (opening, schema, damage) in ``outbox_file``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from composer.core.build import OutgoingMessage
from composer.core.outcome import MessageResult, Status
from composer.store.locks import flock, unlock
from composer.store.outbox_file import OutboxFile
from composer.store.outbox_items import (
    AWAITING,
    COLUMNS,
    FAILED,
    HELD,
    QUEUED,
    SENDING,
    SENT,
    UNKNOWN,
    UNKNOWN_HINT,
    OutboxItem,
    StillInOutbox,
    item_from_row,
    now_stamp,
    send_fingerprint,
)

_SENT_SQL = "UPDATE outbox SET state=?, updated=?, reason=?, data=NULL, msys=NULL WHERE id=?"


class Outbox(OutboxFile):
    """The outbox's states, and every move between them (see the module's text)."""

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
        now = now_stamp()
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
                f"SELECT {COLUMNS} FROM outbox WHERE state IN ({marks})"
                f" AND fingerprint IN ({','.join('?' * len(chunk))}) ORDER BY id",
                (*HELD, *chunk),
            ).fetchall()
            found += [item_from_row(r) for r in rows]
        return sorted(found, key=lambda i: i.id)

    def held_copies(self, messages: Iterable[OutgoingMessage]) -> list[OutboxItem]:
        """The items still held (queued, being sent, unknown) that are copies of these."""
        with self._guard(), self._lock:
            return self._held([send_fingerprint(m) for m in messages])

    def claim(self, ids: Iterable[int]) -> list[OutboxItem]:
        """queued -> sending for these ids (committed before any connection); the items
        actually claimed, in id order (another process may have claimed some)."""
        wanted = list(ids)
        now = now_stamp()
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

    def advance(self, awaiting: int | Iterable[int] | None, sent: list[tuple[int, str]]) -> None:
        """In one transaction (one sync to disk): the ``sent`` items (id, reply) are sent and
        the ``awaiting`` ones (an id or several: a group commit across connections) are
        awaiting their final reply. See OutboxMover for why these go together."""
        now = now_stamp()
        ids = [] if awaiting is None else [awaiting] if isinstance(awaiting, int) else awaiting
        with self._guard(), self._lock, self._db:
            for item_id, reason in sent:
                self._db.execute(_SENT_SQL, (SENT, now, reason, item_id))
            for item_id in ids:
                self._db.execute(
                    "UPDATE outbox SET state=?, updated=?, attempts=attempts+1 WHERE id=?",
                    (AWAITING, now, item_id),
                )

    def mark_retrying(self, item_id: int, reason: str) -> None:
        """The server clearly did not take it ("not now"); this process waits to try again.
        "sending", not "queued": held by this living process, no other one may claim it
        meanwhile (that would send it twice); killed during the wait, recovery requeues it
        (it is not "awaiting" a final reply any more, so never made "unknown")."""
        self._exec(
            "UPDATE outbox SET state=?, updated=?, reason=? WHERE id=?",
            (SENDING, now_stamp(), reason, item_id),
        )

    def mark_sent(self, item_id: int, reason: str = "") -> None:
        self._exec(_SENT_SQL, (SENT, now_stamp(), reason, item_id))

    def mark_failed(self, item_id: int, reason: str) -> None:
        self._exec(
            "UPDATE outbox SET state=?, updated=?, reason=? WHERE id=?",
            (FAILED, now_stamp(), reason, item_id),
        )

    def mark_transient(self, item_id: int, reason: str) -> None:
        self._exec(
            "UPDATE outbox SET state=?, updated=?, reason=? WHERE id=?",
            (QUEUED, now_stamp(), reason, item_id),
        )

    def mark_unknown(self, item_id: int, reason: str = "") -> None:
        self._exec(
            "UPDATE outbox SET state=?, updated=?, reason=? WHERE id=?",
            (
                UNKNOWN,
                now_stamp(),
                reason or f"the final reply never came: {UNKNOWN_HINT}",
                item_id,
            ),
        )

    def record(self, item_id: int, result: MessageResult) -> Status:
        """Move an item by a send's result; return the new state.

        The state is the result's own status, what the person was told: a message reported
        "failed" (a refusal, retries given up, not tried after a failure that stopped the
        batch) is failed here too, and never goes out again on a resume unless
        the person resends it."""
        status = Status(result.status)  # a plain "unknown" must never be taken for failed
        if status is Status.SENT:
            self.mark_sent(item_id, f"{result.code or ''} {result.reply}".strip())
            return SENT
        if status is Status.UNKNOWN:
            self.mark_unknown(item_id, result.error)
            return UNKNOWN
        if status is Status.CANCELLED:
            # Its final "." never went out: queued again, untouched, until the person says
            # keep (resume sends it) or discard.
            self.mark_transient(item_id, "cancelled before it was sent")
            return QUEUED
        self.mark_failed(item_id, result.error or f"{result.code or ''} {result.reply}".strip())
        return FAILED

    @contextlib.contextmanager
    def sending(self) -> Iterator[None]:
        """Held by every process from enqueue/claim until its batch ends (a shared lock on
        ``outbox.lock``). Recovery needs the lock exclusively, so it never touches items a
        living process is still working on — a window opened during a `composer send` does
        not re-queue that send's in-flight items."""
        with open(self._lock_path, "a+b") as f:
            flock(f, shared=True, block=True)
            try:
                yield
            finally:
                unlock(f)

    def recover_on_start(self) -> tuple[int, int]:
        """After a crash: sending -> queued, awaiting -> unknown. (requeued, made unknown).

        Does nothing, and says (0, 0), while another process is sending (see ``sending``)."""
        with open(self._lock_path, "a+b") as f:
            if not flock(f, shared=False, block=False):
                return 0, 0
            try:
                return self._recover()
            finally:
                unlock(f)

    def _recover(self) -> tuple[int, int]:
        now = now_stamp()
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
                (QUEUED, now_stamp(), "queued again by request", item_id, FAILED, UNKNOWN),
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
                f"SELECT {COLUMNS} FROM outbox WHERE id=?", (item_id,)
            ).fetchone()
        return item_from_row(row) if row else None

    def items(self, *states: str) -> list[OutboxItem]:
        marks = ",".join("?" * len(states))
        where = f" WHERE state IN ({marks})" if states else ""
        with self._guard(), self._lock:
            rows = self._db.execute(
                f"SELECT {COLUMNS} FROM outbox{where} ORDER BY id", states
            ).fetchall()
        return [item_from_row(r) for r in rows]

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
