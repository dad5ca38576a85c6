"""Did it arrive? What the relay's Events API says became of each recipient, as plain data.

One event is one line of the relay's log for one recipient (SparkPost / Bird Events API,
``GET /api/v1/events/message``). A recipient's *state* is read from its events:

    sent -> injected -> delivered | delayed | bounced | rejected

plus the engagement seen on top (opens, clicks) when tracking is on. ``delivered``, ``bounced``
and ``rejected`` are final; ``delayed`` is not (the relay retries: "the final disposition for all
messages ... is either delivered or bounced", SparkPost support, "Understanding Delays and
Bounces"). An out-of-band bounce after a delivery still turns it into ``bounced``.

Event type names and the bounce classification table are from the documentation (SparkPost
Events API and Bounce Classification Codes; Bird Email API, Events): see the note in
``composer/transport/rest/events.py`` for which fields were confirmed there and which assumed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "BOUNCE_CLASSES",
    "FINAL_STATES",
    "DeliveryEvent",
    "RecipientState",
    "State",
    "bounce_class_text",
    "recipient_states",
]


class State(StrEnum):
    SENT = "sent"  # the relay took it (250 / 200); no event seen yet
    INJECTED = "injected"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    REJECTED = "rejected"


FINAL_STATES = frozenset({State.DELIVERED, State.BOUNCED, State.REJECTED})

# type -> the state it moves a recipient to; engagement types only add counts.
_MOVES: dict[str, State] = {
    "injection": State.INJECTED,
    "delay": State.DELAYED,
    "delivery": State.DELIVERED,
    "bounce": State.BOUNCED,
    "out_of_band": State.BOUNCED,
    "policy_rejection": State.REJECTED,
    "generation_failure": State.REJECTED,
    "generation_rejection": State.REJECTED,
}
_RANK = {
    State.SENT: 0,
    State.INJECTED: 1,
    State.DELAYED: 2,
    State.DELIVERED: 3,
    State.BOUNCED: 4,
    State.REJECTED: 4,
}
OPENS = frozenset({"open", "initial_open", "amp_open", "amp_initial_open"})
CLICKS = frozenset({"click", "initial_click", "amp_click"})
COMPLAINTS = frozenset({"spam_complaint"})

# Bounce Classification Codes (support.sparkpost.com/docs/deliverability/bounce-classification-
# codes): class -> (name, category).
BOUNCE_CLASSES: dict[int, tuple[str, str]] = {
    1: ("Undetermined", "Undetermined"),
    10: ("Invalid Recipient", "Hard"),
    20: ("Soft Bounce", "Soft"),
    21: ("DNS Failure", "Soft"),
    22: ("Mailbox Full", "Soft"),
    23: ("Too Large", "Soft"),
    24: ("Timeout", "Soft"),
    25: ("Admin Failure", "Admin"),
    30: ("Generic Bounce: No RCPT", "Hard"),
    40: ("Generic Bounce", "Soft"),
    50: ("Mail Block", "Block"),
    51: ("Spam Block", "Block"),
    52: ("Spam Content", "Block"),
    53: ("Prohibited Attachment", "Block"),
    54: ("Relaying Denied", "Block"),
    60: ("Auto-Reply", "Soft"),
    70: ("Transient Failure", "Soft"),
    80: ("Subscribe", "Admin"),
    90: ("Unsubscribe", "Hard"),
    100: ("Challenge-Response", "Soft"),
}


def bounce_class_text(value: int | None) -> str:
    """``10 Invalid Recipient (hard)``; "" when there is none."""
    if value is None:
        return ""
    name, category = BOUNCE_CLASSES.get(value, ("unknown class", ""))
    return f"{value} {name}" + (f" ({category.lower()})" if category else "")


@dataclass(frozen=True)
class DeliveryEvent:
    """One event, its fields already checked (strings cleaned and bounded, numbers parsed)."""

    type: str
    timestamp: str  # ISO 8601 as the API sent it
    rcpt_to: str
    event_id: str = ""
    message_id: str = ""
    transmission_id: str = ""
    campaign_id: str = ""
    subject: str = ""
    bounce_class: int | None = None
    reason: str = ""
    raw_reason: str = ""
    error_code: str = ""
    num_retries: int | None = None
    target_link_url: str = ""

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}

    @property
    def key(self) -> str:
        """What makes an event the same event again (another page, another poll)."""
        return self.event_id or f"{self.type}|{self.timestamp}|{self.rcpt_to.lower()}"


@dataclass
class RecipientState:
    rcpt: str
    state: State = State.SENT
    when: str = ""
    reason: str = ""
    bounce_class: int | None = None
    opens: int = 0
    clicks: int = 0
    complaints: int = 0
    events: list[DeliveryEvent] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    def describe(self) -> str:
        """One line: ``bounced: 10 Invalid Recipient (hard): 550 5.1.1 ...``."""
        words = str(self.state)
        detail = ": ".join(x for x in (bounce_class_text(self.bounce_class), self.reason) if x)
        if detail:
            words += f": {detail}"
        extra = [f"{n} {what}" for n, what in ((self.opens, "open"), (self.clicks, "click")) if n]
        if self.complaints:
            extra.append("spam complaint")
        return words + (f" ({', '.join(extra)})" if extra else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "rcpt": self.rcpt,
            "state": str(self.state),
            "final": self.final,
            "when": self.when or None,
            "reason": self.reason or None,
            "bounce_class": self.bounce_class,
            "bounce_class_name": bounce_class_text(self.bounce_class) or None,
            "opens": self.opens,
            "clicks": self.clicks,
            "spam_complaints": self.complaints,
        }


def recipient_states(rcpts: Iterable[str], events: Iterable[DeliveryEvent]) -> list[RecipientState]:
    """Each recipient's state from its events, in the order the recipients were given.

    Events are applied oldest first; a later event of a higher rank wins (a delay after the
    delivery, as the API's order may show it, does not undo the delivery), and an out-of-band
    bounce after a delivery is a bounce."""
    states: dict[str, RecipientState] = {}
    for rcpt in rcpts:
        states.setdefault(rcpt.lower(), RecipientState(rcpt))
    for ev in sorted(events, key=lambda e: e.timestamp):
        st = states.get(ev.rcpt_to.lower())
        if st is None:
            continue  # another message's event (or a copy nobody here asked about)
        st.events.append(ev)
        if ev.type in OPENS:
            st.opens += 1
        elif ev.type in CLICKS:
            st.clicks += 1
        elif ev.type in COMPLAINTS:
            st.complaints += 1
        new = _MOVES.get(ev.type)
        if new is None:
            continue
        if _RANK[new] >= _RANK[st.state] or (new is State.BOUNCED and ev.type == "out_of_band"):
            if st.state in (State.BOUNCED, State.REJECTED) and new is State.DELIVERED:
                continue
            st.state, st.when = new, ev.timestamp
            if new in (State.BOUNCED, State.REJECTED, State.DELAYED):
                st.reason = ev.reason or ev.raw_reason
                st.bounce_class = ev.bounce_class
            else:
                st.reason, st.bounce_class = "", None
    return list(states.values())
