"""The Transmissions API over several connections at once (issue 17): a batch spreads over N
keep-alive connections, results stay in input order, and a 429 with Retry-After answered to
one connection holds every connection back until it has passed (one shared back-off: the
API's rate limit is the account's, not a connection's). Against a real loopback HTTPS server
(support/http_faults.py)."""

from __future__ import annotations

from support.endpoints import rest_endpoint
from support.http_faults import FaultApi

from composer.core.build import build_messages
from composer.core.draft import Draft, Recipient
from composer.core.outcome import Status
from composer.transport.batch import Hooks, SendOptions, send_batch
from composer.transport.rest.session import RestSession


def _messages(n: int) -> list:  # type: ignore[type-arg]
    draft = Draft(from_addr=Recipient("ann@example.com"), subject="parallel", body="Hello")
    return build_messages(draft, seeds=[Recipient(f"s{i:02d}@example.com") for i in range(n)])


def test_a_batch_spreads_over_connections_and_reports_in_input_order(api: FaultApi) -> None:
    msgs = _messages(12)
    seen: list[int] = []
    report = send_batch(
        msgs,
        None,
        options=SendOptions(connections=4),
        hooks=Hooks(on_result=lambda r: seen.append(r.index)),
        sessions=lambda: RestSession(rest_endpoint(api.url, api.ca_file)),
    )
    assert seen == list(range(12))
    assert [r.rcpt_to for r in report.results] == [list(m.envelope.rcpt_to) for m in msgs]
    assert {r.status for r in report.results} == {Status.SENT}
    assert report.connections == 4 and api.connections == 4
    assert len({r.transmission_id for r in report.results}) == 12
    assert len(api.posts()) == 12  # each once


def test_a_retry_after_holds_every_connection_back(api: FaultApi) -> None:
    api.script(429, {"errors": [{"message": "Too many requests"}]}, {"Retry-After": "1"})
    report = send_batch(
        _messages(40),
        None,
        options=SendOptions(connections=4, retry_delay=0.01),
        sessions=lambda: RestSession(rest_endpoint(api.url, api.ca_file)),
    )
    assert {r.status for r in report.results} == {Status.SENT}
    posts = api.posts()
    (limited,) = [p for p in posts if p.status == 429]
    # Requests already on their way when the 429 went out arrive within a few ms; after
    # that nothing, from any connection, until the second asked for has passed.
    during = [p for p in posts if limited.at + 0.25 < p.at < limited.at + 0.95]
    assert during == [], [round(p.at - limited.at, 3) for p in during]
    # ... and the batch's remaining messages all went after it (without a shared back-off the
    # three other connections would have sent them at once, and only the retry would wait).
    after = [p for p in posts if p.at >= limited.at + 0.95]
    assert len(after) >= 30
    assert len(posts) == 41  # 40 created + the one refused, retried once
