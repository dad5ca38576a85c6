"""The send path against a hostile SMTP peer (support/smtp_hostile.py), scripted reply by reply.

For every case: the send ends within a bounded wall-clock time, every message ends sent,
failed with its reason, or unknown, and the peer never received a message twice unless the
first copy was refused with a well-formed 4xx.
"""

from __future__ import annotations

import time

import pytest
import trustme
from support.smtp_hostile import DROP, SILENT, Drip, Endless, HostilePeer, Raw

from composer.core.build import OutgoingMessage, build_messages
from composer.core.draft import Draft, Recipient
from composer.core.outcome import BatchReport
from composer.transport.batch import SendOptions, send_batch
from composer.transport.smtp.session import Endpoint

FAST = SendOptions(retries=3, retry_delay=0.01, max_delay=0.05)
TIMEOUT = 1.0
FINAL = 1.5


def messages(n: int = 1) -> list[OutgoingMessage]:
    draft = Draft(from_addr=Recipient("ann@example.com"), subject="Test", body="Hello")
    return build_messages(draft, seeds=[Recipient(f"s{i}@example.com") for i in range(n)])


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def send(peer: HostilePeer, n: int = 1, *, ca_file: str | None = None, **kw) -> BatchReport:
    ep = Endpoint(
        host=peer.host,
        port=peer.port,
        tls=ca_file is not None,
        ca_file=ca_file,
        username="SMTP_Injection",
        password="k3y",
        timeout=kw.pop("timeout", TIMEOUT),
        final_timeout=kw.pop("final_timeout", FINAL),
    )
    report = send_batch(messages(n), ep, options=kw.pop("options", FAST))
    assert len(report.results) == n
    return report


# --- after the final ".": 2xx sent, well-formed 4xx retried, 5xx failed, else unknown -------

ODD_FINAL = {
    "251": ("251 2.1.5 will forward", "sent"),
    "200": ("200 fine", "sent"),
    "199": ("199 not yet", "unknown"),
    "999": ("999 what", "unknown"),
    "1xx": ("150 opening", "unknown"),
    "299 (second digit out of range)": ("299 ok?", "unknown"),
    "garbage": (Raw(b"hello there, friend\r\n"), "unknown"),
    "code only, no text": ("25", "unknown"),
    "mixed multi-line codes": ("451-4.3.0 busy\r\n250 2.0.0 OK", "unknown"),
    "bad continuation": ("250*ok", "unknown"),
    "drop": (DROP, "unknown"),
    "silence": (SILENT, "unknown"),
    "endless 250-": (Endless("250-x"), "unknown"),
    "endless 451-": (Endless("451-x"), "unknown"),
    "drip": (Drip("250-dripping"), "unknown"),
    "550": ("550 5.7.1 rejected", "failed"),
}


@pytest.mark.parametrize("case", ODD_FINAL)
def test_final_reply_is_sent_failed_or_unknown_never_resent(hostile, case: str) -> None:
    reply, status = ODD_FINAL[case]
    peer = hostile({"DOT": [reply]})
    started = time.monotonic()
    report = send(peer)
    elapsed = time.monotonic() - started
    (r,) = report.results
    assert r.status == status, r.error
    assert len(peer.messages) == 1, "sent twice after an odd final reply"
    assert r.attempts == 1
    assert elapsed < FINAL + 2.0
    if status == "unknown":
        assert report.exit_code == 4 and "may have been sent" in r.error


def test_well_formed_4xx_after_the_dot_is_retried(hostile) -> None:
    peer = hostile({"DOT": ["451 4.3.0 busy"]})
    (r,) = send(peer).results
    assert r.status == "sent" and r.attempts == 2
    assert len(peer.messages) == 2  # the first copy was refused with 451: nothing kept


def test_unknown_message_stops_nothing_else(hostile) -> None:
    peer = hostile({"DOT": ["999 what", "250 2.0.0 OK"]})
    report = send(peer, 2)
    assert [r.status for r in report.results] == ["unknown", "sent"]
    assert len(peer.messages) == 2


# --- every reply has a wall-clock deadline, a line cap and a byte cap ------------------------

PHASES = ["GREETING", "EHLO", "AUTH", "AUTH_USER", "AUTH_PASS", "MAIL", "RCPT", "DATA"]
HOSTILE = {
    "endless": lambda code: Endless(f"{code}-x"),
    "drip": lambda code: Drip(f"{code}-dripping", interval=0.02),
    "one long line": lambda code: Raw(f"{code} ".encode() + b"x" * 100_000 + b"\r\n"),
    "garbage": lambda code: Raw(b"\x00\xff garbage \x1b[31m\r\n"),
}
CODE = {"GREETING": 220, "EHLO": 250, "AUTH": 334, "AUTH_USER": 334, "AUTH_PASS": 235,
        "MAIL": 250, "RCPT": 250, "DATA": 354, "STARTTLS": 220}  # fmt: skip


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("phase", PHASES)
def test_hostile_reply_before_the_dot_ends_in_bounded_time(hostile, phase: str, kind: str) -> None:
    peer = hostile({phase: HOSTILE[kind](CODE[phase])})
    started = time.monotonic()
    report = send(peer, 2)
    elapsed = time.monotonic() - started
    # One deadline, not one per retry: a peer that breaks the protocol is not asked again.
    assert elapsed < TIMEOUT + 2.0, f"{phase}/{kind} took {elapsed:.1f} s"
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert report.exit_code == 4
    assert peer.messages == []
    assert "Traceback" not in report.results[0].error and report.results[0].error
    assert peer.connections == 1


@pytest.mark.parametrize("kind", ["endless", "drip"])
def test_hostile_reply_to_starttls_ends_in_bounded_time(hostile, ca, ca_file, kind) -> None:
    peer = hostile({"STARTTLS": HOSTILE[kind](220)}, ca=ca)
    started = time.monotonic()
    report = send(peer, 1, ca_file=ca_file)
    assert time.monotonic() - started < TIMEOUT + 2.0
    assert report.results[0].status == "failed"
    assert peer.auth_lines == [] and peer.messages == []


def test_data_sent_with_the_starttls_reply_is_refused(hostile, ca, ca_file) -> None:
    # Bytes after "220" and before the handshake would be read as if they came over TLS
    # (the STARTTLS injection of CVE-2011-0411): refuse, send neither key nor message.
    peer = hostile({"STARTTLS": "220 go ahead\r\n250-injected\r\n250 AUTH LOGIN"}, ca=ca)
    report = send(peer, 1, ca_file=ca_file)
    (r,) = report.results
    assert r.status == "failed" and "STARTTLS" in r.error
    assert peer.auth_lines == [] and peer.messages == []


def test_full_tls_session_with_the_hostile_peer_sends(hostile, ca, ca_file) -> None:
    peer = hostile({}, ca=ca)
    report = send(peer, 2, ca_file=ca_file)
    assert [r.status for r in report.results] == ["sent", "sent"]
    assert peer.count("STARTTLS") == 1 and len(peer.messages) == 2


def test_silent_server_is_retried_within_its_timeouts(hostile) -> None:
    # Silence is not hostile: an overloaded relay may answer the next time. Bounded all the same.
    peer = hostile({"MAIL": [SILENT]})
    started = time.monotonic()
    (r,) = send(peer).results
    assert r.status == "sent" and r.attempts == 2
    assert time.monotonic() - started < TIMEOUT + 2.0


@pytest.mark.parametrize(
    "reply",
    ["200 ok", "251 2.1.5 fine"],
)
def test_any_2xx_to_mail_and_rcpt_is_accepted(hostile, reply: str) -> None:
    peer = hostile({"MAIL": reply, "RCPT": reply})
    (r,) = send(peer).results
    assert r.status == "sent"


@pytest.mark.parametrize("phase", ["MAIL", "RCPT", "DATA"])
@pytest.mark.parametrize("reply", ["999 what", "199 hm", "250-a\r\n550 b"])
def test_odd_code_before_the_dot_fails_without_sending(hostile, phase: str, reply: str) -> None:
    peer = hostile({phase: reply})
    report = send(peer, 2)
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert peer.messages == [] and peer.connections == 1


# --- AUTH quirks (item 10) ------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["AUTH", "AUTH_USER"])
def test_non_base64_challenge_is_refused_before_the_key(hostile, phase: str) -> None:
    peer = hostile({phase: "334 !!not base64!!"})
    report = send(peer, 2)
    (r, _) = report.results
    assert r.status == "failed" and "base64" in r.error
    assert report.exit_code == 4
    assert peer.passwords_sent == 0 and peer.messages == []


def test_no_auth_login_is_a_clear_failure_and_no_auth_is_sent(hostile) -> None:
    peer = hostile({}, auth="PLAIN CRAM-MD5")
    report = send(peer, 2)
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert "does not offer AUTH LOGIN" in report.results[0].error
    assert "PLAIN" in report.results[0].error
    assert report.exit_code == 4
    assert peer.auth_lines == [] and peer.messages == []


def test_endless_334_challenges_stop(hostile) -> None:
    peer = hostile({"AUTH_PASS": "334 UGFzc3dvcmQ6"})
    report = send(peer, 1)
    assert report.results[0].status == "failed"
    assert peer.passwords_sent == 1


def test_wrong_key_535_stops_the_batch(hostile) -> None:
    peer = hostile({"AUTH_PASS": "535 5.7.8 bad credentials"})
    report = send(peer, 2)
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert report.exit_code == 3 and "API key" in report.results[0].error


@pytest.mark.parametrize("phase", ["GREETING", "EHLO", "AUTH_PASS"])
def test_silent_set_up_stops_the_batch_after_its_retries(hostile, phase: str) -> None:
    # 300 messages must not each wait out (retries + 1) timeouts at a relay that never answers.
    peer = hostile({phase: SILENT})
    started = time.monotonic()
    report = send(peer, 3, timeout=0.5, options=SendOptions(retries=1, retry_delay=0.01))
    assert [r.status for r in report.results] == ["failed"] * 3
    assert "not sent" in report.results[2].error
    assert peer.connections == 2  # one try and one retry, for the whole batch
    assert time.monotonic() - started < 2 * 0.5 + 2.0
