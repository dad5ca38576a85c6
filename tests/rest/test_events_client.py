"""The Events API client (transport/rest/events.py) over real HTTP on loopback: against the
local relay's own ``GET /api/v1/events/message`` (paging with its cursor, an empty window, a
bounce with its reason), a scripted API (429 with Retry-After, 401/403, a cursor that loops,
links in both documented shapes, malformed JSON) and a hostile peer (a huge body, an endless
body, a slow drip, garbage). Every search ends within its deadline and its caps."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from support.events_api import Answer, EventsApi, event, page
from support.http_hostile import HostilePeer

from composer.core.delivery import State, recipient_states
from composer.core.errors import EventsAccessDenied, EventsUnavailable
from composer.relay.http import LocalHttpRelay
from composer.transport.profiles.credentials import Secret
from composer.transport.rest.events import MAX_TRIES, EventQuery, parse_event, search_events
from composer.transport.rest.session import RestEndpoint, RestSession

KEY = "events-key-3f9a7c21"


@pytest.fixture
def relay(tmp_path) -> Iterator[LocalHttpRelay]:
    with LocalHttpRelay(tmp_path / "Maildir") as r:
        yield r


def session(url: str, final_timeout: float = 5.0) -> RestSession:
    return RestSession(RestEndpoint(url, Secret(KEY), None, 5.0, final_timeout))


def post(relay: LocalHttpRelay, *rcpts: str, subject: str = "Hi", campaign: str = "") -> str:
    msg = f"From: ann@example.org\r\nTo: {rcpts[0]}\r\nSubject: {subject}\r\n\r\nHello\r\n"
    doc = {"recipients": [{"address": r} for r in rcpts], "content": {"email_rfc822": msg}}
    if campaign:
        doc["campaign_id"] = campaign
    body = json.dumps(doc).encode()
    with session(relay.url) as s:
        status, data, _, _ = s.exchange("POST", "/transmissions", body)
    assert status == 200, data
    return str(json.loads(data)["results"]["id"])


def today(**filters: tuple[str, ...]) -> EventQuery:
    now = datetime.now(UTC)
    return EventQuery(now - timedelta(hours=1), now, **filters)


# --- against the local relay ----------------------------------------------------------------


def test_pages_through_the_local_relay_with_its_cursor(relay: LocalHttpRelay) -> None:
    rcpts = [f"r{i}@example.org" for i in range(5)]
    tid = post(relay, *rcpts)
    with session(relay.url) as s:
        result = search_events(s, today(transmission_ids=(tid,)), per_page=3)
    assert result.pages == 4  # 10 events, 3 a page
    assert result.total_count == 10
    assert len({ev.key for ev in result.events}) == 10  # none twice, none lost
    assert result.note == ""
    states = recipient_states(rcpts, result.events)
    assert [st.state for st in states] == [State.DELIVERED] * 5


def test_an_empty_window_is_an_empty_answer(relay: LocalHttpRelay) -> None:
    post(relay, "bob@example.org")
    quiet = EventQuery(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC))
    with session(relay.url) as s:
        result = search_events(s, quiet)
    assert (result.events, result.pages, result.total_count) == ([], 1, 0)


def test_a_bounce_comes_with_its_reason_and_class(relay: LocalHttpRelay) -> None:
    post(relay, "bob@example.org", "gone@bounce.example.com")
    with session(relay.url) as s:
        result = search_events(s, today(recipients=("gone@bounce.example.com",)))
    assert {ev.rcpt_to for ev in result.events} == {"gone@bounce.example.com"}
    (bounce,) = [ev for ev in result.events if ev.type == "bounce"]
    assert bounce.bounce_class == 10
    assert bounce.error_code == "550"
    assert "User unknown" in bounce.reason
    (state,) = recipient_states(["gone@bounce.example.com"], result.events)
    assert state.describe().startswith("bounced: 10 Invalid Recipient (hard): 550 5.1.1")


def test_the_local_relay_refuses_a_query_it_cannot_read(relay: LocalHttpRelay) -> None:
    with session(relay.url) as s:
        with pytest.raises(EventsUnavailable, match=r"400.*per_page"):
            search_events(s, today(), per_page=0)
        status, data, _, _ = s.exchange("GET", "/events/message?cursor=not-a-cursor")
        assert status == 400 and b"cursor" in data
        status, _, _, _ = s.exchange("GET", "/events/message?from=yesterday")
        assert status == 400
        status, data, _, _ = s.exchange("GET", "/events/message?timezone=America/New_York")
        assert status == 400 and b"UTC" in data  # not applied, so not silently ignored


# --- a scripted API: rate limits, permissions, links ---------------------------------------


def test_429_waits_what_retry_after_asks_then_reads() -> None:
    waits: list[float] = []
    ok = page([event("delivery", "bob@example.org", 1)], None)
    with EventsApi(Answer(429, {"errors": [{"message": "Too many"}]}, {"Retry-After": "7"}),
                   ok) as api, session(api.url) as s:  # fmt: skip
        result = search_events(s, today(), sleep=waits.append)
    assert waits == [7.0]
    assert len(api.seen) == 2
    assert [ev.type for ev in result.events] == ["delivery"]


def test_a_long_retry_after_is_capped_and_a_rate_limit_that_stays_is_said() -> None:
    waits: list[float] = []
    limited = Answer(429, b"", {"Retry-After": "3000"})
    with (
        EventsApi(limited) as api,
        session(api.url) as s,
        pytest.raises(EventsUnavailable, match="limiting the request rate"),
    ):
        search_events(s, today(), sleep=waits.append, max_wait=60)
    assert waits == [60.0] * (MAX_TRIES - 1)
    assert len(api.seen) == MAX_TRIES  # bounded: no endless asking


def test_a_retry_after_past_the_deadline_is_not_waited() -> None:
    waits: list[float] = []
    with (
        EventsApi(Answer(429, b"", {"Retry-After": "50"})) as api,
        session(api.url) as s,
        pytest.raises(EventsUnavailable, match="429"),
    ):
        search_events(s, today(), sleep=waits.append, deadline=10)
    assert waits == [] and len(api.seen) == 1


@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_say_the_events_permission_in_plain_words(status: int) -> None:
    echo = {"errors": [{"message": f"Forbidden for key {KEY}"}]}
    with (
        EventsApi(Answer(status, echo)) as api,
        session(api.url) as s,
        pytest.raises(EventsAccessDenied) as caught,
    ):
        search_events(s, today(), profile="prod")
    text = str(caught.value)
    assert "this key lacks the 'Events Search: Read Only' permission" in text
    assert "add an events key to the profile: composer profile set-key prod --events" in text
    assert KEY not in text  # the key the server echoed is hidden
    assert caught.value.exit_code == 4  # nothing refused to a recipient: still unknown
    assert api.seen[0].authorization == KEY
    assert api.seen[0].path == "/api/v1/events/message"


def test_a_cursor_that_loops_ends_the_paging() -> None:
    a, b = event("injection", "bob@example.org", 1), event("delivery", "bob@example.org", 2)
    with EventsApi(page([a], "c1"), page([b], "c1")) as api, session(api.url) as s:
        result = search_events(s, today())
    assert len(api.seen) == 2
    assert api.seen[1].query["cursor"] == ["c1"]
    assert "already read" in result.note
    assert [ev.type for ev in result.events] == ["injection", "delivery"]


def test_endless_new_cursors_stop_at_the_page_limit() -> None:
    answers = [page([event("open", "bob@example.org", i)], f"c{i}") for i in range(1, 8)]
    with EventsApi(*answers) as api, session(api.url) as s:
        result = search_events(s, today(), max_pages=5)
    assert len(api.seen) == 5 and result.pages == 5
    assert "stopped after 5 pages" in result.note


def test_links_as_a_list_of_rel_next_are_followed_too() -> None:
    a, b = event("injection", "bob@example.org", 1), event("delivery", "bob@example.org", 2)
    pages = page([a], "n2", as_list=True), page([b], None, as_list=True)
    with EventsApi(*pages) as api, session(api.url) as s:
        result = search_events(s, today(recipients=("bob@example.org",)))
    assert len(result.events) == 2
    assert api.seen[1].query["cursor"] == ["n2"]
    assert api.seen[1].query["recipients"] == ["bob@example.org"]  # our query, not the link's


def test_a_next_link_elsewhere_only_gives_its_cursor() -> None:
    evil = Answer(200, {"results": [], "links": {"next": "https://evil.example/steal?cursor=z"}})
    with EventsApi(evil, page([], None)) as api, session(api.url) as s:
        search_events(s, today())
    assert len(api.seen) == 2  # asked again here, with the cursor; never at evil.example
    assert api.seen[1].path == "/api/v1/events/message"


@pytest.mark.parametrize(
    "body",
    [b'{"results": [', b"<html>Welcome to the hotel wifi</html>", b'{"errors": []}', b"[1,2]"],
)
def test_malformed_json_is_no_answer(body: bytes) -> None:
    with (
        EventsApi(Answer(200, body)) as api,
        session(api.url) as s,
        pytest.raises(EventsUnavailable, match="something else than the API's JSON"),
    ):
        search_events(s, today())


def test_results_that_are_not_events_are_left_out() -> None:
    hostile = {"type": "bounce", "timestamp": "2026-11-30T10:00:00Z", "rcpt_to": "a@example.org",
               "bounce_class": "\u00b2", "num_retries": "9" * 5000,
               "reason": "x" * 100_000}  # fmt: skip
    junk = [1, "x", {"type": "delivery"}, {"rcpt_to": "a@example.org", "timestamp": "t"}, hostile]
    assert [parse_event(j) for j in junk[:4]] == [None] * 4
    ev = parse_event(junk[4])
    assert ev is not None
    assert (ev.bounce_class, ev.num_retries) == (None, None)
    assert len(ev.reason) <= 500


# --- a hostile peer: the reply's deadline and size cap ------------------------------------


@pytest.mark.parametrize(
    ("behaviour", "final_timeout"),
    [("huge_length", 5.0), ("endless_body", 5.0), ("endless_chunked", 5.0),
     ("drip_status", 1.0), ("silent", 1.0), ("garbage", 5.0), ("only_1xx", 5.0)],
)  # fmt: skip
def test_a_hostile_server_costs_a_bounded_time_and_memory(
    behaviour: str, final_timeout: float
) -> None:
    with HostilePeer(behaviour, lifetime=15) as peer, session(peer.url(), final_timeout) as s:
        started = time.monotonic()
        with pytest.raises(EventsUnavailable) as caught:
            search_events(s, today())
        elapsed = time.monotonic() - started
    assert elapsed < final_timeout + 4
    assert KEY not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_campaign_with_a_comma_changes_the_delimiter(relay: LocalHttpRelay) -> None:
    odd = post(relay, "bob@example.org", campaign="sale,autumn")
    post(relay, "bob@example.org", campaign="sale")
    post(relay, "bob@example.org", campaign="autumn")
    query = today(campaigns=("sale,autumn",))
    assert ("delimiter", ";") in query.params()
    with session(relay.url) as s:
        result = search_events(s, query)
    assert {ev.transmission_id for ev in result.events} == {odd}
    assert {ev.campaign_id for ev in result.events} == {"sale,autumn"}
