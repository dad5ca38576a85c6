"""A recipient's state from its events (core/delivery.py): the order the API gives them in
does not matter, a late delay never undoes a delivery, an out-of-band bounce does, and opens and
clicks are counted on top."""

from __future__ import annotations

import random

from composer.core.delivery import (
    DeliveryEvent,
    State,
    bounce_class_text,
    recipient_states,
)


def ev(kind: str, second: int, rcpt: str = "bob@example.org", **more: object) -> DeliveryEvent:
    return DeliveryEvent(kind, f"2026-11-30T10:00:{second:02d}.000Z", rcpt, **more)  # type: ignore[arg-type]


def state(*events: DeliveryEvent, rcpt: str = "bob@example.org") -> State:
    return recipient_states([rcpt], events)[0].state


def test_the_lifecycle_whatever_order_the_events_come_in() -> None:
    events = [ev("injection", 1), ev("delay", 2, reason="421 busy"), ev("delivery", 9)]
    for _ in range(5):
        random.shuffle(events)
        assert state(*events) is State.DELIVERED
    assert state(ev("injection", 1)) is State.INJECTED
    assert state(ev("injection", 1), ev("delay", 2)) is State.DELAYED
    assert state() is State.SENT  # the relay took it; no event yet


def test_a_late_delay_does_not_undo_a_delivery_but_an_out_of_band_bounce_does() -> None:
    assert state(ev("delivery", 1), ev("delay", 2)) is State.DELIVERED
    oob = ev("out_of_band", 5, bounce_class=10, reason="mailbox gone")
    st = recipient_states(["bob@example.org"], [ev("delivery", 1), oob])[0]
    assert (st.state, st.bounce_class, st.reason, st.final) == (
        State.BOUNCED, 10, "mailbox gone", True)  # fmt: skip
    assert state(ev("bounce", 1), ev("delivery", 2)) is State.BOUNCED  # nothing undoes a bounce


def test_rejections_engagement_and_other_recipients() -> None:
    assert state(ev("policy_rejection", 1)) is State.REJECTED
    assert state(ev("generation_failure", 1)) is State.REJECTED
    st = recipient_states(
        ["Bob@Example.org", "carol@example.org"],
        [ev("delivery", 1), ev("open", 2), ev("initial_open", 3), ev("click", 4),
         ev("spam_complaint", 5), ev("delivery", 6, rcpt="stranger@example.org")],
    )  # fmt: skip
    assert [s.rcpt for s in st] == ["Bob@Example.org", "carol@example.org"]  # as given
    assert (st[0].state, st[0].opens, st[0].clicks, st[0].complaints) == (State.DELIVERED, 2, 1, 1)
    assert st[0].describe() == "delivered (2 open, 1 click, spam complaint)"
    assert st[1].state is State.SENT and not st[1].events  # a stranger's event is nobody's here


def test_bounce_classes_are_named_as_documented() -> None:
    assert bounce_class_text(10) == "10 Invalid Recipient (hard)"
    assert bounce_class_text(21) == "21 DNS Failure (soft)"
    assert bounce_class_text(54) == "54 Relaying Denied (block)"
    assert bounce_class_text(7) == "7 unknown class"
    assert bounce_class_text(None) == ""
