"""How a send is found again among the relay's events (app/events.py): a REST send by its
transmission id, an SMTP send by its recipients, time and subject and then the transmission of
the injection nearest its time; which API each profile asks, and with which key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.events_api import Answer, EventsApi, page

from composer.app.context import Context
from composer.app.events import events_url, open_events_session, states_of
from composer.core.delivery import DeliveryEvent, State
from composer.core.errors import EventsAccessDenied, ProfileError
from composer.store.history import HistoryEntry
from composer.transport.profiles.store import Profile
from composer.transport.rest.events import EventQuery, search_events

SENT_AT = datetime(2026, 11, 30, 10, 0, 0, tzinfo=UTC)


def entry(reply: str = "250 2.0.0 OK", tid: str | None = None, subject: str = "Hi") -> HistoryEntry:
    rcpts = ["bob@example.org"]
    return HistoryEntry(1, SENT_AT.isoformat(), "p", "h:587", "<m@x>", "ann@example.org",
                        rcpts, subject, "sent", 250, reply, "", {}, 1, 10, tid)  # fmt: skip


def ev(kind: str, tid: str, after: float, subject: str = "Hi") -> DeliveryEvent:
    at = (SENT_AT + timedelta(seconds=after)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return DeliveryEvent(kind, at, "bob@example.org", event_id=f"{kind}{tid}{after}",
                         transmission_id=tid, subject=subject)  # fmt: skip


def test_an_smtp_send_takes_the_transmission_injected_nearest_its_time() -> None:
    # the same recipient and subject twice: the earlier send bounced, this one was delivered
    events = [ev("injection", "111", -100), ev("bounce", "111", -99),
              ev("injection", "222", -1), ev("delivery", "222", 1),
              ev("injection", "333", 0.5, subject="Other"),
              ev("bounce", "333", 2, subject="Other")]  # fmt: skip
    (st,) = states_of(entry(), events)
    assert st.state is State.DELIVERED
    assert {e.transmission_id for e in st.events} == {"222"}


def test_a_known_transmission_id_decides() -> None:
    one, two = "111111111111111111", "222222222222222222"
    events = [ev("injection", one, 0), ev("bounce", one, 1),
              ev("injection", two, 0), ev("delivery", two, 1)]  # fmt: skip
    assert states_of(entry(tid=one), events)[0].state is State.BOUNCED  # a REST send
    local = entry(reply=f"250 2.0.0 OK 1 message(s) queued as {two}")  # the local relay's 250
    assert states_of(local, events)[0].state is State.DELIVERED


def test_a_send_that_failed_or_is_unknown_has_no_delivery_to_follow() -> None:
    failed = entry()
    failed = HistoryEntry(**{**failed.__dict__, "status": "failed"})
    assert states_of(failed, [ev("delivery", "1", 1)]) == []


def test_which_api_each_profile_asks() -> None:
    assert events_url(Profile.new("a", "sparkpost")) == "https://api.sparkpost.com/api/v1"
    assert events_url(Profile.new("a", "sparkpost-eu")) == "https://api.eu.sparkpost.com/api/v1"
    assert events_url(Profile.new("b", "bird", workspace="ws1")) == (
        "https://email.us-west-2.api.bird.com/api/v1")  # fmt: skip
    assert events_url(Profile.new("b", "bird-eu", workspace="ws1")) == (
        "https://email.eu-west-1.api.bird.com/api/v1")  # fmt: skip
    assert events_url(Profile.new("l", "local")) is None  # the local relay, started on demand
    with pytest.raises(ProfileError, match="api_url"):
        events_url(Profile.new("e", "custom", host="smtp.acme.example"))


def test_bird_is_asked_with_accesskey_and_an_events_key_wins(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    with EventsApi(page([], None)) as api:
        bird = Profile.new("b", "bird", workspace="ws1", api_url=api.url)
        monkeypatch.setenv("COMPOSER_API_KEY", "send-key-1234")
        monkeypatch.setenv("COMPOSER_EVENTS_KEY", "events-key-5678")
        with open_events_session(context, bird) as session:
            search_events(session, EventQuery(now - timedelta(minutes=5), now))
        monkeypatch.delenv("COMPOSER_EVENTS_KEY")
        with open_events_session(context, bird) as session:
            search_events(session, EventQuery(now - timedelta(minutes=5), now))
    assert [s.authorization for s in api.seen] == [
        "AccessKey events-key-5678", "AccessKey send-key-1234"]  # fmt: skip


def test_bird_key_echoed_bare_is_hidden_too(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    echo = {"errors": [{"message": "Forbidden", "description": "key send-key-1234 lacks it"}]}
    monkeypatch.setenv("COMPOSER_API_KEY", "send-key-1234")
    with EventsApi(Answer(403, echo)) as api:
        bird = Profile.new("b", "bird", workspace="ws1", api_url=api.url)
        with open_events_session(context, bird) as session, pytest.raises(EventsAccessDenied) as e:
            search_events(session, EventQuery(now - timedelta(minutes=5), now), profile="b")
    assert "send-key-1234" not in str(e.value)
    assert "[key hidden]" in str(e.value)
