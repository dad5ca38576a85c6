"""The REST client against a hostile HTTP peer (support/http_hostile.py): every answer, however
it misbehaves, ends within the deadline, holds at most about a megabyte, and after the POST is
either a clear result or "unknown" — never a second POST."""

from __future__ import annotations

import json
import time

import pytest
import trustme
from support.drafts import draft, messages
from support.endpoints import rest_endpoint
from support.http_faults import GOOD_KEY
from support.http_hostile import HostilePeer

from composer.core.draft import Recipient
from composer.core.errors import OutcomeUnknown
from composer.core.outcome import BatchReport
from composer.transport.batch import SendOptions, send_batch
from composer.transport.profiles.credentials import Secret
from composer.transport.rest.session import RestEndpoint, RestSession

DEADLINE = 1.5


def endpoint(peer: HostilePeer, ca_file: str, host: str = "127.0.0.1") -> RestEndpoint:
    return rest_endpoint(peer.url(host), ca_file, timeout=2.0, final_timeout=DEADLINE)


def send(peer: HostilePeer, ca_file: str, count: int = 1) -> tuple[BatchReport, float]:
    seeds = [Recipient(f"seed{i}@example.com") for i in range(count)] if count > 1 else None
    start = time.monotonic()
    with RestSession(endpoint(peer, ca_file)) as session:
        report = send_batch(
            messages(draft(), seeds=seeds), None, session=session,
            options=SendOptions(retries=3, retry_delay=0.001),
        )  # fmt: skip
    return report, time.monotonic() - start


@pytest.fixture
def ca_file(rest_ca: trustme.CA, tmp_path) -> str:
    path = tmp_path / "hostile-ca.pem"
    rest_ca.cert_pem.write_to_path(path)
    return str(path)


# behaviour -> words the error must hold. Every one of them is "unknown" after the POST.
UNKNOWN = {
    "drip_status": f"within {DEADLINE:g} s",
    "slow_endless_headers": f"within {DEADLINE:g} s",
    "silent": f"within {DEADLINE:g} s",
    "status_102": f"within {DEADLINE:g} s",
    "endless_headers": "exceed",
    "endless_body": "exceeds 1048576 bytes",
    "endless_chunked": "exceeds 1048576 bytes",
    "huge_length": "exceeds 1048576 bytes",
    "garbage": "not an HTTP status line",
    "status_999": "not an HTTP status line",
    "status_600": "not an HTTP status line",
    "only_1xx": "interim (1xx)",
    "length_lie_long": f"did not come within {DEADLINE:g} s",
    "length_lie_short": "no transmission id",
    "two_lengths": "Content-Length is not one number",
    "html_200": "no transmission id",
    "json_200_no_id": "no transmission id",
    "drop": "connection ended before the API answered",
    "status_303": "redirect, not followed",
}


@pytest.mark.parametrize("behaviour", sorted(UNKNOWN))
def test_a_hostile_answer_is_unknown_within_the_deadline_and_never_resent(
    rest_ca: trustme.CA, ca_file: str, behaviour: str
) -> None:
    with HostilePeer(behaviour, ca=rest_ca) as peer:
        report, took = send(peer, ca_file)
        (result,) = report.results
        posts = peer.posts()
    assert took < DEADLINE + 2.0, f"{behaviour} held the client {took:.1f} s"
    assert (result.status, result.exit_code, result.attempts) == ("unknown", 4, 1), result.error
    assert UNKNOWN[behaviour] in result.error, result.error
    assert "may have been created" in result.error
    assert "Traceback" not in result.error and GOOD_KEY not in result.error + result.reply
    assert len(posts) == 1  # exactly one POST: nothing was sent twice


def test_a_good_answer_from_the_peer_is_sent(rest_ca: trustme.CA, ca_file: str) -> None:
    with HostilePeer("good", ca=rest_ca) as peer:
        report, _ = send(peer, ca_file, count=2)
    assert [r.status for r in report.results] == ["sent", "sent"]
    assert report.results[0].transmission_id == "5555"


def test_bytes_beyond_an_answer_are_never_read_as_the_next_answer(
    rest_ca: trustme.CA, ca_file: str
) -> None:
    # The first answer is 20 bytes of JSON followed by a whole forged "200" answer: kept on the
    # connection, it would be taken for the answer to the second POST before that was read.
    with HostilePeer(["length_lie_short", "silent"], ca=rest_ca) as peer:
        report, took = send(peer, ca_file, count=2)
        posts = peer.posts()
    first, second = report.results
    assert first.status == "unknown" and second.status == "unknown"
    assert "within" in second.error  # it waited for its own answer, which never came
    assert peer.connections == 2 and len(posts) == 2
    assert took < 2 * DEADLINE + 2.0


def test_a_redirect_is_refused_and_the_key_never_leaves_the_host_named(
    rest_ca: trustme.CA, ca_file: str
) -> None:
    with HostilePeer("good", ca=rest_ca) as elsewhere:
        target = elsewhere.url("localhost")
        with HostilePeer(ca=rest_ca, redirect_to=target) as peer:
            report, _ = send(peer, ca_file)
            posts = peer.posts()
        (result,) = report.results
        assert elsewhere.requests == [] and elsewhere.connections == 0
    assert (result.status, result.exit_code, result.attempts) == ("failed", 3, 1)
    assert "does not follow redirects" in result.error and target in result.error
    assert len(posts) == 1 and posts[0].headers["authorization"] == GOOD_KEY


def test_the_account_probe_is_bounded_too(rest_ca: trustme.CA, ca_file: str) -> None:
    with HostilePeer("drip_status", ca=rest_ca) as peer:
        session = RestSession(endpoint(peer, ca_file))
        start = time.monotonic()
        with pytest.raises(OutcomeUnknown, match="check the API URL"):
            session.request("GET", "/account")
        session.close()
    assert time.monotonic() - start < DEADLINE + 2.0


def test_a_key_with_a_line_break_is_never_written(rest_ca: trustme.CA, ca_file: str) -> None:
    from composer.core.errors import ConnectError

    with HostilePeer("good", ca=rest_ca) as peer:
        ep = RestEndpoint(peer.url(), Secret("k\r\nX-Evil: 1"), ca_file, timeout=2.0)
        with pytest.raises(ConnectError, match="line break"), RestSession(ep) as s:
            s.request("GET", "/account")
        assert peer.requests == []


# --- the real command ------------------------------------------------------------------------

CLI_CASES = ["drip_status", "endless_body", "garbage", "drop", "status_999", "html_200",
             "only_1xx", "length_lie_long"]  # fmt: skip


@pytest.mark.parametrize("behaviour", CLI_CASES)
def test_composer_send_against_a_hostile_api_ends_in_bounded_time(
    run_composer, rest_ca: trustme.CA, ca_file: str, tmp_path, behaviour: str
) -> None:
    body = tmp_path / "body.md"
    body.write_text("Hello\n", encoding="utf-8")
    env = {"COMPOSER_API_KEY": GOOD_KEY,
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # fmt: skip
    with HostilePeer(behaviour, ca=rest_ca, lifetime=30) as peer:
        start = time.monotonic()
        r = run_composer(
            "send", "--from", "ann@example.com", "--to", "bob@example.com", "--subject", "Hi",
            "--markdown", str(body), "--api", "rest", "--provider", "custom",
            "--api-url", peer.url(), "--ca-file", ca_file, "--timeout", "3",
            "--final-timeout", "3", "--json", env=env, timeout=30,
        )  # fmt: skip
        took = time.monotonic() - start
        posts = peer.posts()
    assert took < 8, f"{behaviour}: {took:.1f} s"
    assert r.code == 4, r.err
    (m,) = json.loads(r.out)["messages"]
    assert m["status"] == "unknown" and "may have been created" in m["error"]
    assert "Traceback" not in r.err and GOOD_KEY not in r.out + r.err
    assert len(posts) == 1 and posts[0].headers["authorization"] == GOOD_KEY
