"""The local relay's HTTP endpoint, over real HTTP on 127.0.0.1: the same copies as the SMTP
relay, the API's answers and error shapes, the shared sandbox count."""

from __future__ import annotations

import http.client
import json
import mailbox
import re
from pathlib import Path
from typing import Any

import pytest
from support.drafts import draft, full_draft, messages

from composer.core.draft import Options
from composer.relay.http import LocalHttpRelay
from composer.relay.server import LocalRelay
from composer.relay.sink import SANDBOX_COUNT_FILE
from composer.transport.batch import send_batch
from composer.transport.profiles.credentials import Secret
from composer.transport.rest.session import RestEndpoint, RestSession
from composer.transport.smtp.session import Endpoint


def copies(maildir: Path) -> dict[str, bytes]:
    box = mailbox.Maildir(maildir, create=False)
    out = {}
    for key in box.iterkeys():
        data = box.get_bytes(key)
        rcpt = re.search(rb"^Delivered-To: (.+)$", data, re.M)
        assert rcpt is not None
        out[rcpt.group(1).decode()] = data
    return out


def header(data: bytes, name: str) -> str | None:
    m = re.search(rb"^" + name.encode() + rb": (.*)$", data, re.M | re.I)
    return m.group(1).decode() if m else None


def post(relay: LocalHttpRelay, body: Any, **headers: str) -> tuple[int, Any]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    conn = http.client.HTTPConnection(relay.host, relay.port, timeout=10)
    try:
        sent = {"Authorization": "anything", "Content-Type": "application/json", **headers}
        conn.request(headers.pop("method", "POST"), "/api/v1/transmissions", raw, sent)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def rest_send(relay: LocalHttpRelay, d: Any) -> list[Any]:
    with RestSession(RestEndpoint(relay.url, Secret("local"))) as session:
        return send_batch(messages(d), None, session=session).results


def test_cc_bcc_copies_and_headers_like_the_smtp_relay(local_http, maildir: Path) -> None:
    (result,) = rest_send(local_http, full_draft())
    assert result.status == "sent" and result.code == 200
    got = copies(maildir)
    assert set(got) == {"bob@example.com", "cy@example.com", "cat@example.com", "dee@example.com"}
    kinds = {rcpt: header(data, "X-Relay-Rcpt-Type") for rcpt, data in got.items()}
    assert kinds == {
        "bob@example.com": "to",
        "cy@example.com": "cc",
        "cat@example.com": "cc",
        "dee@example.com": "bcc",
    }
    for rcpt, data in got.items():
        assert header(data, "X-Relay-Transmission-Id") == result.transmission_id
        assert header(data, "Cc") == '"Cy Q. Public" <cy@example.com>, cat@example.com'
        assert header(data, "X-MSYS-API") is None
        assert header(data, "Bcc") == ("Dee <dee@example.com>" if rcpt.startswith("dee") else None)


def test_the_same_draft_gives_the_same_copies_over_smtp_and_rest(tmp_path: Path) -> None:
    d = full_draft()
    (m,) = messages(d)
    with LocalRelay(tmp_path / "smtp") as smtp_relay:
        endpoint = Endpoint(smtp_relay.host, smtp_relay.port, tls=False)
        (smtp_result,) = send_batch([m], endpoint).results
    with (
        LocalHttpRelay(tmp_path / "rest") as http_relay,
        RestSession(RestEndpoint(http_relay.url, Secret("local"))) as session,
    ):
        (rest_result,) = send_batch([m], None, session=session).results
    assert smtp_result.status == rest_result.status == "sent"
    by_smtp, by_rest = copies(tmp_path / "smtp"), copies(tmp_path / "rest")
    assert set(by_smtp) == set(by_rest)
    strip = re.compile(rb"^X-Relay-Transmission-Id: .*\n", re.M)
    for rcpt in by_smtp:
        assert strip.sub(b"", by_smtp[rcpt]) == strip.sub(b"", by_rest[rcpt])


def test_the_answer_has_the_documented_shape(local_http, maildir: Path) -> None:
    (m,) = messages(full_draft())
    from composer.transport.rest.payload import transmission

    status, doc = post(local_http, transmission(m))
    assert status == 200
    results = doc["results"]
    assert set(results) == {"id", "total_accepted_recipients", "total_rejected_recipients"}
    assert re.fullmatch(r"[1-9][0-9]{17}", results["id"])
    assert (results["total_accepted_recipients"], results["total_rejected_recipients"]) == (4, 0)


def rfc822(extra: str = "") -> str:
    return f"From: ann@example.com\r\nTo: bob@example.com\r\n{extra}Subject: x\r\n\r\nHi\r\n"


GOOD = {"recipients": [{"address": "bob@example.com"}], "content": {"email_rfc822": rfc822()}}


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        (GOOD, {"Authorization": ""}, 401, "Unauthorized"),
        (b"{not json", {}, 400, "invalid JSON"),
        (GOOD, {"Content-Type": "text/plain"}, 415, "Unsupported Media Type"),
        (GOOD, {"method": "PUT"}, 405, "Method Not Allowed"),
        ({**GOOD, "recipients": []}, {}, 422, "at least one recipient"),
        ({**GOOD, "recipients": {"list_id": "x"}}, {}, 422, "stored recipient lists"),
        ({**GOOD, "content": {"template_id": "t"}}, {}, 422, "email_rfc822 only"),
        ({"recipients": GOOD["recipients"]}, {}, 422, "content object or template_id required"),
        ({**GOOD, "recipients": [{"address": "not an address"}]}, {}, 422, "recipients[0]"),
        ({**GOOD, "metadata": [1]}, {}, 422, "metadata must be a JSON object"),
        ({**GOOD, "campaign_id": "é" * 40}, {}, 422, "campaign_id is limited to 64 bytes"),
        ({**GOOD, "content": {"email_rfc822": "Subject: x\r\n\r\nno sender"}}, {}, 422, "From"),
    ],
)
def test_refusals_use_the_api_error_shape_and_deliver_nothing(
    local_http, maildir: Path, body: Any, headers: dict[str, str], status: int, words: str
) -> None:
    got, doc = post(local_http, body, **headers)
    assert got == status
    (error,) = doc["errors"]
    assert words in json.dumps(error, ensure_ascii=False)
    assert set(error) <= {"message", "description", "code"} and error["message"]
    assert not (maildir / "new").exists() or not list((maildir / "new").iterdir())


def test_unknown_paths_are_404_and_the_account_answers(local_http) -> None:
    conn = http.client.HTTPConnection(local_http.host, local_http.port, timeout=10)
    try:
        conn.request("GET", "/api/v1/account", headers={"Authorization": "k"})
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["results"]
        conn.request("GET", "/api/v1/nothing", headers={"Authorization": "k"})
        response = conn.getresponse()
        assert response.status == 404 and json.loads(response.read())["errors"]
    finally:
        conn.close()


def test_the_sandbox_count_is_the_smtp_relays(tmp_path: Path) -> None:
    box = tmp_path / "box"
    sandbox = draft(options=Options(sandbox=True))
    with LocalRelay(box, sandbox_limit=1) as smtp_relay:
        (first,) = send_batch(
            messages(sandbox), Endpoint(smtp_relay.host, smtp_relay.port, tls=False)
        ).results
        assert first.status == "sent"
        with LocalHttpRelay(box, sink=smtp_relay.sink) as http_relay:
            (second,) = rest_send(http_relay, sandbox)
        assert second.status == "sent"
        assert smtp_relay.sandbox_count == 2
    assert json.loads((box / SANDBOX_COUNT_FILE).read_text()) == {"sandbox_messages": 2}
    every = [
        mailbox.Maildir(box, create=False).get_bytes(k) for k in mailbox.Maildir(box).iterkeys()
    ]
    notes = [header(data, "X-Relay-Sandbox-Note") for data in every]
    assert sorted(notes, key=str) == [None, "over the sandbox allowance of 1 (count 2)"]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_it_listens_on_loopback_only(tmp_path: Path, host: str) -> None:
    with pytest.raises(ValueError, match=r"loopback|127\.0\.0\.1"):
        LocalHttpRelay(tmp_path, host=host)


def test_ipv6_loopback(tmp_path: Path) -> None:
    try:
        relay = LocalHttpRelay(tmp_path / "box", host="::1")
        relay.start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert relay.url.startswith("http://[::1]:")
        (result,) = rest_send(relay, draft())
        assert result.status == "sent"
    finally:
        relay.stop()
