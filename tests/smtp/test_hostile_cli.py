"""`composer send` (the real command, in a subprocess) against the hostile SMTP peer.

Issue 12: with ``--timeout 3 --final-timeout 5`` an endless or dripped reply kept the command
running for minutes; an odd reply after the final "." sent the message twice; AUTH quirks
crashed it (exit 1) or ended it without the --json report.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
import trustme
from support.cli import send_args
from support.smtp_hostile import Drip, Echo, Endless, HostilePeer, Raw

KEY = "k3y-hostile-cli"
ENV = {"COMPOSER_API_KEY": KEY}
BOUND = 10.0  # seconds, start-up of the command included


@pytest.fixture
def body(tmp_path: Path) -> Path:
    p = tmp_path / "body.md"
    p.write_text("Hello\n", encoding="utf-8")
    return p


def args_for(peer: HostilePeer, body: Path, *extra: str, ca_file: Path | None = None) -> list[str]:
    tls = ["--ca-file", str(ca_file)] if ca_file else ["--no-tls"]
    return send_args(body, "--provider", "custom", "--host", peer.host, "--port", str(peer.port),
                     *tls, "--timeout", "3", "--final-timeout", "5", "--json", *extra)  # fmt: skip


def run(run_composer, args: list[str]):
    started = time.monotonic()
    r = run_composer(*args, env=ENV, timeout=60)
    elapsed = time.monotonic() - started
    assert not leaks(r.out_bytes + r.err.encode())
    return r, elapsed


def leaks(data: bytes) -> list[bytes]:
    """The key, or its AUTH LOGIN form, in what the command printed."""
    return [k for k in (KEY.encode(), base64.b64encode(KEY.encode())) if k in data]


@pytest.fixture(autouse=True)
def no_key_on_disk(composer_home: Path):
    yield
    for f in composer_home.rglob("*"):
        if f.is_file():
            assert not leaks(f.read_bytes()), f"the key is in {f}"


def outbox_states(run_composer) -> dict[str, int]:
    doc = json.loads(run_composer("outbox", "--json").out)
    return {k: len(v) for k, v in doc.items()}


CODE = {"GREETING": 220, "EHLO": 250, "AUTH": 334, "MAIL": 250, "RCPT": 250, "DATA": 354,
        "DOT": 250}  # fmt: skip
KINDS = {
    "endless": lambda c: Endless(f"{c}-x"),
    "drip": lambda c: Drip(f"{c}-dripping", interval=0.05),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("phase", CODE)
def test_endless_or_dripped_reply_ends_within_the_timeouts(
    run_composer, hostile, body: Path, phase: str, kind: str
) -> None:
    peer = hostile({phase: KINDS[kind](CODE[phase])})
    r, elapsed = run(run_composer, args_for(peer, body))
    assert elapsed < BOUND, f"{phase}/{kind}: {elapsed:.1f} s"
    assert r.code == 4, r.err
    assert "Traceback" not in r.err
    (m,) = json.loads(r.out)["messages"]
    if phase == "DOT":
        assert m["status"] == "unknown" and "may have been sent" in m["error"]
        assert outbox_states(run_composer)["unknown"] == 1
        assert len(peer.messages) == 1
    else:
        assert m["status"] == "failed" and peer.messages == []
        assert "broke the SMTP protocol" in m["error"]
    assert peer.connections == 1  # not retried


@pytest.mark.parametrize("kind", KINDS)
def test_endless_or_dripped_starttls_reply_ends_within_the_timeout(
    run_composer, hostile, body: Path, ca: trustme.CA, tmp_path: Path, kind: str
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    peer = hostile({"STARTTLS": KINDS[kind](220)}, ca=ca)
    r, elapsed = run(run_composer, args_for(peer, body, ca_file=ca_file))
    assert elapsed < BOUND and r.code == 4, r.err
    assert peer.auth_lines == [] and peer.messages == []
    assert json.loads(r.out)["messages"][0]["status"] == "failed"


FINAL = {
    "251": ("251 2.1.5 will forward", "sent", 0),
    "200": ("200 fine", "sent", 0),
    "199": ("199 hm", "unknown", 4),
    "999": ("999 what", "unknown", 4),
    "garbage": (Raw(b"hello there\r\n"), "unknown", 4),
}


@pytest.mark.parametrize("case", FINAL)
def test_odd_final_reply_is_never_sent_twice(run_composer, hostile, body: Path, case) -> None:
    reply, status, code = FINAL[case]
    peer = hostile({"DOT": reply})
    r, _ = run(run_composer, args_for(peer, body))
    assert r.code == code, r.err
    (m,) = json.loads(r.out)["messages"]
    assert m["status"] == status and m["attempts"] == 1
    assert len(peer.messages) == 1, "the message was sent twice"
    states = outbox_states(run_composer)
    assert states["unknown"] == (1 if status == "unknown" else 0)
    assert states["pending"] == 0


def test_non_base64_challenge_exits_4_with_the_report(run_composer, hostile, body: Path) -> None:
    peer = hostile({"AUTH": "334 ###not-base64###"})
    r, _ = run(run_composer, args_for(peer, body))
    assert r.code == 4, r.err
    assert "Traceback" not in r.err and "internal problem" not in r.err
    (m,) = json.loads(r.out)["messages"]
    assert m["status"] == "failed" and "not base64" in m["error"]
    assert peer.passwords_sent == 0


def test_no_auth_login_is_clear_and_still_prints_the_report(
    run_composer, hostile, body: Path
) -> None:
    peer = hostile({}, auth="PLAIN")
    r, _ = run(run_composer, args_for(peer, body))
    assert r.code == 4, r.err
    (m,) = json.loads(r.out)["messages"]
    assert m["status"] == "failed"
    assert "does not offer AUTH LOGIN" in m["error"] and "PLAIN" in m["error"]
    assert peer.auth_lines == []


def test_a_failure_before_sending_still_prints_the_report(run_composer, hostile, body) -> None:
    peer = hostile({})
    r = run_composer(*args_for(peer, body), env={"DBUS_SESSION_BUS_ADDRESS": ""}, timeout=60)
    assert r.code == 2
    doc = json.loads(r.out)
    assert "COMPOSER_API_KEY" in doc["error"] and doc["exit_code"] == 2
    assert [m["status"] for m in doc["messages"]] == ["not sent"]
    assert peer.connections == 0


ECHO = {
    "535 plain": "535 5.7.8 bad key {key}",
    "535 base64": "535 5.7.8 authentication failed for {key64}",
    "454 plain and base64": "454 4.7.0 temporary failure for {key} ({key64})",
}


@pytest.mark.parametrize("case", ECHO)
def test_a_key_echoed_by_the_server_is_nowhere(run_composer, hostile, body: Path, case) -> None:
    # run() checks stdout and stderr, the autouse fixture every file under COMPOSER_HOME
    # (outbox, history, logs) for the key and its base64.
    peer = hostile({"AUTH_PASS": Echo(ECHO[case])})
    r, _ = run(run_composer, args_for(peer, body, "--retry-delay", "0.01"))
    assert r.code in (3, 4), r.err
    (m,) = json.loads(r.out)["messages"]
    assert m["status"] == "failed" and "[key hidden]" in m["error"]
    assert peer.passwords_sent <= 2  # a 454 to the key: one retry, not the full retries


def test_a_reply_with_the_354_is_failed_once_and_never_completed(
    run_composer, hostile, body: Path
) -> None:
    peer = hostile({"DATA": "354 go ahead\r\n451 4.3.0 stray", "DOT": "250 2.0.0 queued"})
    r, _ = run(run_composer, args_for(peer, body, "--retry-delay", "0.01"))
    assert r.code == 4, r.err
    (m,) = json.loads(r.out)["messages"]
    assert m["status"] == "failed" and m["attempts"] == 1
    assert "broke the SMTP protocol" in m["error"]
    assert peer.count("DATA") == 1 and peer.messages == []
    assert outbox_states(run_composer)["unknown"] == 0


def test_control_characters_from_the_server_never_reach_the_terminal(
    run_composer, hostile, body: Path
) -> None:
    peer = hostile({"MAIL": "550 5.7.1 \x1b]0;pwned\x07 \x1b[2J refused"})
    plain = [a for a in args_for(peer, body) if a != "--json"]  # the text a person reads
    r, _ = run(run_composer, plain)
    assert r.code == 3, r.err
    assert "pwned" in r.out + r.err
    for text in (r.out, r.err):
        assert "\x1b" not in text and "\x07" not in text, repr(text)
