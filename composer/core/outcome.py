"""What became of a send: the words the outbox, the history, the window and ``--json`` share.

``Status`` is a StrEnum, so the values stored in SQLite (outbox.state, history.status) and
printed in JSON are the same strings as before. A message's result is one of the final three;
the outbox also holds the three on the way:

    queued -> sending -> awaiting (the final "." is about to go out) -> sent | failed | unknown

"unknown": the final reply never came, so the relay may have the message; it is never sent
again automatically (RFC 5321 §6.1). "cancelled": the person stopped the send before this
message's final "." went out, so the relay cannot have it; the outbox keeps it queued until
the person says to keep or discard it (not "failed": nothing was wrong with it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from composer.core.errors import ExitCode


class Status(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    AWAITING = "awaiting"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


# Where a message's result can end; the outbox's states on the way are not results.
FINAL = (Status.SENT, Status.FAILED, Status.UNKNOWN, Status.CANCELLED)


@dataclass
class MessageResult:
    index: int
    message_id: str
    mail_from: str
    rcpt_to: list[str]
    size: int
    status: Status
    code: int | None = None
    reply: str = ""  # the server's own text
    error: str = ""  # what it means, in plain words ("" when sent)
    field: str | None = None  # the draft field a refusal points at
    refused: dict[str, tuple[int, str]] = dataclasses.field(default_factory=dict)
    attempts: int = 0
    exit_code: ExitCode = ExitCode.OK  # OK sent, REFUSED, INCOMPLETE could not complete
    transmission_id: str | None = None  # REST only: the API's id for the transmission

    def as_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "status": str(self.status),
            "message_id": self.message_id,
            "mail_from": self.mail_from,
            "rcpt_to": self.rcpt_to,
            "size": self.size,
            "code": self.code,
            "reply": self.reply,
            "error": self.error or None,
            "field": self.field,
            "refused": {k: {"code": c, "reply": t} for k, (c, t) in self.refused.items()},
            "attempts": self.attempts,
            "transmission_id": self.transmission_id,
        }


@dataclass
class BatchReport:
    results: list[MessageResult]
    elapsed: float = 0.0
    connections: int = 0
    cancelled: bool = False
    # The outbox item of each result, in the same order (deliver fills it): what Cancel's
    # "keep queued / discard" acts on.
    outbox_ids: list[int] | None = None

    @property
    def exit_code(self) -> ExitCode:
        """INTERRUPTED (130) when the person cancelled and something was left unsent: the
        shells' code for Ctrl+C, which scripts already treat as "stopped on purpose"."""
        codes = {r.exit_code for r in self.results}
        if self.cancelled and self.count(Status.CANCELLED):
            return ExitCode.INTERRUPTED
        if self.cancelled or ExitCode.INCOMPLETE in codes:
            return ExitCode.INCOMPLETE
        return ExitCode.REFUSED if ExitCode.REFUSED in codes else ExitCode.OK

    def count(self, status: Status) -> int:
        return sum(r.status == status for r in self.results)
