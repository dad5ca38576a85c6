"""What the outbox holds, as data: an item, how a stored row becomes one (a row that is not as
written comes back with ``problem`` set instead of raising), the fingerprint that tells "the
same send" (see ``composer.store.outbox``), and the refusal when a send's copies are still held.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from composer.core.build import Envelope, OutgoingMessage
from composer.core.errors import ComposerError, ExitCode
from composer.core.outcome import Status

QUEUED, SENDING, AWAITING = Status.QUEUED, Status.SENDING, Status.AWAITING
SENT, FAILED, UNKNOWN = Status.SENT, Status.FAILED, Status.UNKNOWN
# A cancelled message is kept queued (or discarded): "cancelled" is a result, not a state.
STATES = tuple(s for s in Status if s is not Status.CANCELLED)
# The states in which an item of a send is "still in the outbox" for a rerun of that send: it
# will go out on resume, is going out now, or may have gone out.
HELD = (QUEUED, SENDING, AWAITING, UNKNOWN)
UNKNOWN_HINT = "may have been sent — check before resending"


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


def now_stamp() -> str:
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


COLUMNS = (
    "id, created, updated, profile, subject, message_id, mail_from, rcpt_to, state, reason,"
    " attempts, data, msys, fingerprint"
)


def _text(value: Any, name: str, problems: list[str]) -> str:
    if isinstance(value, str):
        return value
    problems.append(f"{name} is {type(value).__name__}, not text")
    return "" if value is None else str(value)


def item_from_row(row: tuple[Any, ...]) -> OutboxItem:
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
