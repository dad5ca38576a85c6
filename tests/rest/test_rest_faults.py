"""RestSession through the one send path (send_batch) against a real HTTPS API that injects
each documented error: retried or not as documented, never a duplicate transmission."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from support.drafts import draft, full_draft, messages
from support.endpoints import rest_endpoint
from support.http_faults import GOOD_KEY, FaultApi, api_errors

from composer.core.draft import Recipient
from composer.core.errors import ConnectError, TLSError
from composer.core.outcome import BatchReport
from composer.transport.batch import Hooks, SendOptions, send_batch
from composer.transport.profiles.credentials import Secret
from composer.transport.rest.session import RestEndpoint, RestSession, _peer_closed


def run(api: FaultApi, count: int = 1, key: str = GOOD_KEY, **kw: Any) -> BatchReport:
    seeds = [Recipient(f"seed{i}@example.com") for i in range(count)] if count > 1 else None
    waits: list[float] = kw.pop("waits", [])
    options = SendOptions(retries=kw.pop("retries", 3), retry_delay=0.001)
    hooks = Hooks(wait=lambda s: bool(waits.append(s)))  # records, never sleeps
    with RestSession(rest_endpoint(api.url, api.ca_file, key, **kw)) as session:
        return send_batch(
            messages(full_draft(), seeds=seeds), None, options=options, hooks=hooks,
            session=session,
        )  # fmt: skip


def test_a_send_posts_one_transmission_with_the_key_in_the_header(api: FaultApi) -> None:
    report = run(api)
    (result,) = report.results
    assert (result.status, result.code, result.exit_code) == ("sent", 200, 0)
    assert result.transmission_id == "11668787484950530"
    assert result.reply == "OK: 4 accepted, 0 rejected"
    (post,) = api.posts()
    assert post.path == "/api/v1/transmissions"
    assert post.authorization == GOOD_KEY
    assert post.content_type == "application/json"
    assert post.doc["content"]["email_rfc822"].startswith("From: ")
    assert GOOD_KEY not in post.body.decode()


def test_one_connection_carries_a_batch(api: FaultApi) -> None:
    report = run(api, count=3)
    assert [r.status for r in report.results] == ["sent"] * 3
    assert report.connections == 1 == api.connections
    assert len({r.transmission_id for r in report.results}) == 3


def test_a_server_that_closes_after_each_answer_gets_a_fresh_connection(api: FaultApi) -> None:
    api.connection_header = "close"
    report = run(api, count=3)
    assert [r.status for r in report.results] == ["sent"] * 3
    assert report.connections == 3 and api.created == 3


@pytest.mark.parametrize("tls", [True, False])
def test_a_connection_the_server_closed_quietly_is_not_reused(make_api, tls: bool) -> None:
    api = make_api(tls=tls)  # plain TCP would take the next request and then reset
    api.quiet_close = True
    with RestSession(rest_endpoint(api.url, api.ca_file)) as session:
        (first,) = send_batch(messages(draft()), None, session=session).results
        assert api.closed.wait(10)  # the server has closed it; the client was not told
        (second,) = send_batch(messages(draft()), None, session=session).results
    assert (first.status, second.status) == ("sent", "sent")
    assert session.connections_opened == 2 and api.created == 2


def test_an_idle_socket_the_peer_closed_is_seen_before_it_is_used() -> None:
    # Decides reuse deterministically; the fallback above (a send that fails) is only a race.
    a, b = socket.socketpair()
    try:
        assert not _peer_closed(a)
        b.close()
        assert _peer_closed(a)
    finally:
        a.close()


NOT_RETRIED = [
    (400, "Invalid domain", "Unconfigured or unverified sending domain.", "7001", 3, "from"),
    (404, "resource not found", "no such thing", "1600", 3, None),
    (405, "Method Not Allowed", "POST", "1300", 3, None),
    (409, "Conflict", "already exists", "1300", 3, None),
    (415, "Unsupported Media Type", "use JSON", "1300", 3, None),
    (420, "Exceed Sending Limit (hourly)", "", "2101", 3, None),
    (422, "required field is missing", "content object or template_id required", "1400", 3,
     None),
]  # fmt: skip


@pytest.mark.parametrize(("status", "message", "description", "code", "exit", "field"), NOT_RETRIED)
def test_refusals_are_not_retried_and_keep_the_apis_words(
    api: FaultApi,
    status: int,
    message: str,
    description: str,
    code: str,
    exit: int,
    field: str | None,
) -> None:
    api.script(status, api_errors(message, description, code))
    (result,) = run(api).results
    assert (result.status, result.code, result.exit_code, result.attempts) == (
        "failed",
        status,
        exit,
        1,
    )
    assert len(api.posts()) == 1 and api.created == 0
    assert message in result.error and f"(code {code})" in result.error
    assert message in result.reply
    assert result.field == field
    assert "Traceback" not in result.error and "{" not in result.error


def test_plain_words_for_the_documented_statuses(api: FaultApi) -> None:
    words = {
        404: "check the profile's API URL",
        420: "sending limit would be exceeded; nothing sent",
        422: "refused the message's content or settings",
    }
    for status, expected in words.items():
        api.script(status, {})
        (result,) = run(api).results
        assert expected in result.error, status


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_key_stops_the_batch(api: FaultApi, status: int) -> None:
    api.script(status, api_errors("Forbidden.", "", "1100"))
    report = run(api, count=3)
    assert [r.status for r in report.results] == ["failed"] * 3
    assert report.exit_code == 3
    assert "'Transmissions: Read/Write' permission" in report.results[0].error
    assert report.results[1].error.startswith("not sent: ")
    assert len(api.posts()) == 1


def test_a_wrong_key_is_named_and_never_shown(api: FaultApi) -> None:
    report = run(api, key="wrong-key-123")
    (result,) = report.results
    assert result.exit_code == 3 and "refused the API key" in result.error
    assert "wrong-key-123" not in result.error + result.reply


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_answers_are_retried_then_sent_once(api: FaultApi, status: int) -> None:
    api.script(status, api_errors("busy", "", "1"), times=2)
    waits: list[float] = []
    (result,) = run(api, waits=waits).results
    assert (result.status, result.attempts, result.exit_code) == ("sent", 3, 0)
    assert len(waits) == 2
    assert api.created == 1 and len(api.posts()) == 3


def test_retry_after_is_respected(api: FaultApi) -> None:
    api.script(429, api_errors("Too many requests", "", "1"), {"Retry-After": "7"})
    api.script(503, {}, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})  # in the past: 0
    waits: list[float] = []
    (result,) = run(api, waits=waits).results
    assert result.status == "sent" and api.created == 1
    assert waits[0] >= 7 and waits[1] < 1


def test_a_retry_after_too_long_is_not_waited_for(api: FaultApi) -> None:
    api.script(429, api_errors("Too many requests", "", "1"), {"Retry-After": "3600"})
    waits: list[float] = []
    (result,) = run(api, waits=waits).results
    assert result.status == "failed" and result.exit_code == 4 and waits == []
    assert "asked to wait 3600 s" in result.error and "Too many requests" in result.error


def test_transient_answers_give_up_after_the_retries(api: FaultApi) -> None:
    api.script(500, api_errors("Internal error", "", "1"), times=10)
    (result,) = run(api, retries=2).results
    assert (result.status, result.exit_code, result.attempts) == ("failed", 4, 3)
    assert "gave up after 3 attempts" in result.error
    assert len(api.posts()) == 3 and api.created == 0


@pytest.mark.parametrize("fault", ["drop", "stall"])
def test_no_answer_after_the_body_is_unknown_and_never_resent(api: FaultApi, fault: str) -> None:
    api.script(fault)
    report = run(api, count=2, final_timeout=0.5)
    first, second = report.results
    assert (first.status, first.exit_code, first.attempts) == ("unknown", 4, 1)
    assert "may have been created" in first.error
    assert second.status == "sent"
    # The server had the whole first request; it was never sent a second time.
    assert [p.doc["recipients"][0]["address"]["email"] for p in api.posts()] == [
        "seed0@example.com",
        "seed1@example.com",
    ]
    assert report.exit_code == 4


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_without_the_apis_answer_is_unknown(api: FaultApi, status: int) -> None:
    api.script(status, {})
    (result,) = run(api).results
    assert result.status == "unknown" and len(api.posts()) == 1


def test_partial_acceptance_names_the_rejected_recipients(api: FaultApi) -> None:
    rcpt_errors = [{"message": "required field is missing", "description": "address.email",
                    "code": "1400"}]  # fmt: skip
    results = {"total_rejected_recipients": 1, "total_accepted_recipients": 3, "id": "77",
               "rcpt_to_errors": rcpt_errors}  # fmt: skip
    body = {"errors": [{"message": "transmission created, but with validation errors",
                        "code": "2000"}], "results": results}  # fmt: skip
    api.script(200, body)
    (result,) = run(api).results
    assert (result.status, result.exit_code, result.transmission_id) == ("sent", 3, "77")
    assert "recipient error 1" in result.refused
    assert result.refused["recipient error 1"][0] == 1400
    assert "3 accepted, 1 rejected" in result.reply
    assert "address.email" in result.error and api.created == 1


def test_an_echoed_key_is_masked(api: FaultApi) -> None:
    api.script(400, api_errors("bad header", f"Authorization: {GOOD_KEY}", "1"))
    (result,) = run(api).results
    assert GOOD_KEY not in result.error + result.reply
    assert "[key hidden]" in result.reply


def test_an_untrusted_certificate_stops_before_any_request(api: FaultApi) -> None:
    endpoint = RestEndpoint(api.url, Secret(GOOD_KEY), None, timeout=5)
    with RestSession(endpoint) as session:
        report = send_batch(messages(draft(), seeds=[Recipient("a@example.com"),
                            Recipient("b@example.com")]), None, session=session)  # fmt: skip
    assert report.exit_code == 4
    assert "not trusted" in report.results[0].error and "--ca-file" in report.results[0].error
    assert api.received == []


def test_a_certificate_for_another_host_is_refused(make_api) -> None:
    api = make_api(cert_hosts=("api.example.com",))
    endpoint = rest_endpoint(api.url, api.ca_file)
    with pytest.raises(TLSError, match="not trusted"), RestSession(endpoint) as s:
        s.connect()
    assert api.received == []


def test_plain_http_is_refused_beyond_this_computer() -> None:
    with pytest.raises(TLSError, match="plain http"):
        RestEndpoint("http://api.sparkpost.com/api/v1", Secret(GOOD_KEY))
    assert RestEndpoint("http://127.0.0.1:9/api/v1", Secret(GOOD_KEY)).tls is False


def test_nobody_listening_is_a_connect_error(api: FaultApi) -> None:
    port = api.port
    api.stop()
    endpoint = RestEndpoint(f"https://127.0.0.1:{port}/api/v1", Secret(GOOD_KEY), timeout=5)
    with pytest.raises(ConnectError, match=f"cannot reach 127.0.0.1:{port}"):
        RestSession(endpoint).connect()
