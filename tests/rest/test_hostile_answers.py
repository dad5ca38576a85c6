"""`composer send --api rest --json` (the real command) against answers built to hurt: the key
echoed back in every disguise, numbers no int() takes, ids that are not ids, a Retry-After of
minutes, and a kill while a retry waits. Whatever the answer: a JSON report, the documented
exit code, no traceback, the key nowhere, never a second POST of a message that may exist."""

from __future__ import annotations

import base64
import json
import signal
import sqlite3
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import trustme
from support.cli import child_env, composer_command, send_args, watched
from support.http_faults import GOOD_KEY
from support.http_hostile import HostilePeer

KEY_ENV = {"COMPOSER_API_KEY": GOOD_KEY, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


@pytest.fixture
def ca_file(rest_ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "hostile-ca.pem"
    rest_ca.cert_pem.write_to_path(path)
    return path


@pytest.fixture
def body(tmp_path: Path) -> Path:
    p = tmp_path / "body.md"
    p.write_text("Hello\n", encoding="utf-8")
    return p


def to_peer(peer: HostilePeer, ca_file: Path, body: Path, *extra: str) -> list[str]:
    return send_args(
        body, "--api", "rest", "--provider", "custom", "--api-url", peer.url(),
        "--ca-file", str(ca_file), "--retry-delay", "0.01", "--timeout", "3",
        "--final-timeout", "3", "--json", "--connections", "1", *extra,
    )  # fmt: skip  (one connection: the peer's answers are scripted in the messages' order)


def key_forms() -> list[bytes]:
    """The key as it could be read back: plain, in another case, URL-encoded, JSON-escaped,
    base64."""
    raw = GOOD_KEY.encode()
    escaped = "".join(f"\\u{ord(c):04x}" for c in GOOD_KEY).encode()
    forms = [raw, raw.upper(), quote(GOOD_KEY, safe="").encode(), escaped]
    forms += [base64.b64encode(p + raw).rstrip(b"=")[4:-2] for p in (b"api:", b"x", b"xy")]
    return forms


def leaks(texts: list[str], home: Path) -> list[str]:
    found = [f"output {i}: {f!r}" for i, t in enumerate(texts) for f in key_forms()
             if f.lower() in t.encode().lower()]  # fmt: skip
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            found += [f"{path}: {f!r}" for f in key_forms() if f.lower() in data]
    return found


def report(out: str) -> list[dict]:
    return json.loads(out)["messages"]


# --- finding 3: the key echoed back ----------------------------------------------------------

ECHO_CASES = {
    # behaviour -> (status, exit code, words the error must hold)
    "echo_location": ("failed", 3, "redirects to http://evil.example/?k=[key hidden]"),
    "echo_location_pct": ("failed", 3, "redirects to http://evil.example/?k=[key hidden]"),
    "echo_errors": ("failed", 3, "you sent [key hidden]"),
    "echo_200_no_id": ("unknown", 4, "no transmission id"),
}


@pytest.mark.parametrize("behaviour", sorted(ECHO_CASES))
def test_an_echoed_key_is_hidden_in_every_form_everywhere(
    run_composer, composer_home: Path, rest_ca: trustme.CA, ca_file: Path, body: Path,
    behaviour: str,
) -> None:  # fmt: skip
    status, code, words = ECHO_CASES[behaviour]
    with HostilePeer(behaviour, ca=rest_ca) as peer:
        r = run_composer(*to_peer(peer, ca_file, body), env=KEY_ENV, timeout=30)
        posts = peer.posts()
    assert r.code == code, r.err
    (m,) = report(r.out)
    assert m["status"] == status and words in m["error"], m
    assert "Traceback" not in r.err
    assert len(posts) == 1 and posts[0].headers["authorization"] == GOOD_KEY
    # the outbox and history are written: the key is in neither, nor in any output
    assert list(composer_home.rglob("*.sqlite3"))
    assert leaks([r.out, r.err], composer_home) == []


def test_the_profile_test_hides_an_echoed_key_too(
    run_composer, composer_home: Path, rest_ca: trustme.CA, ca_file: Path
) -> None:
    with HostilePeer("echo_errors", ca=rest_ca) as peer:
        add = run_composer("profile", "add", "api", "--api", "rest", "--provider", "custom",
                           "--api-url", peer.url(), env=KEY_ENV)  # fmt: skip
        assert add.code == 0, add.err
        r = run_composer("profile", "test", "api", "--ca-file", str(ca_file), env=KEY_ENV)
    assert "you sent [key hidden]" in r.out + r.err and "Traceback" not in r.err
    assert leaks([r.out, r.err], composer_home) == []


# --- finding 5: numbers no int() takes; 10b: ids that are not ids -----------------------------

NUMBERS = {
    # behaviour -> (status, exit code, words the error must hold)
    "length_5000_digits": ("unknown", 4, "exceeds"),
    "length_5000_zeros": ("unknown", 4, "no transmission id"),
    "rcpt_code_superscript": ("sent", 3, "recipient refused"),
    "rcpt_code_5000_digits": ("sent", 3, "recipient refused"),
    "id_true": ("unknown", 4, "no transmission id"),
    "id_object": ("unknown", 4, "no transmission id"),
    "id_empty": ("unknown", 4, "no transmission id"),
    "id_zero": ("unknown", 4, "no transmission id"),
    "id_float": ("unknown", 4, "no transmission id"),
}


@pytest.mark.parametrize("behaviour", sorted(NUMBERS))
def test_a_hostile_number_or_id_gets_a_report_and_the_batch_goes_on(
    run_composer, rest_ca: trustme.CA, ca_file: Path, body: Path, tmp_path: Path,
    behaviour: str,
) -> None:  # fmt: skip
    status, code, words = NUMBERS[behaviour]
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("one@example.com\ntwo@example.com\n", encoding="utf-8")
    # the first message meets the hostile answer, the second a good one on a new connection
    with HostilePeer([behaviour, "good"], ca=rest_ca) as peer:
        start = time.monotonic()
        args = to_peer(peer, ca_file, body)
        args[args.index("--to") : args.index("--to") + 2] = ["--seed-list", str(seeds)]
        r = run_composer(*args, env=KEY_ENV, timeout=30)
        took = time.monotonic() - start
        posts = peer.posts()
    assert "Traceback" not in r.err and r.code == code, r.err
    first, second = report(r.out)
    assert first["status"] == status, first
    assert words in (first["error"] or "") + (first.get("reply") or ""), first
    assert second["status"] == "sent", second
    assert len(posts) == 2  # one POST each: the unknown one is never sent again
    assert took < 10


# --- finding 6: a Retry-After of minutes, and a kill while a retry waits ----------------------


def test_a_retry_after_longer_than_the_final_timeout_gives_up_at_once(
    run_composer, rest_ca: trustme.CA, ca_file: Path, body: Path
) -> None:
    with HostilePeer("busy_299", ca=rest_ca) as peer:
        start = time.monotonic()
        r = run_composer(*to_peer(peer, ca_file, body), env=KEY_ENV, timeout=60)
        took = time.monotonic() - start
        posts = peer.posts()
    assert took < 8, f"held {took:.1f} s"
    assert r.code == 4 and "Traceback" not in r.err, r.err
    (m,) = report(r.out)
    assert m["status"] == "failed" and "asked to wait 299 s; try again later" in m["error"], m
    assert len(posts) == 1


def _outbox_state(home: Path) -> tuple[str, str] | None:
    path = home / "data" / "outbox.sqlite3"
    if not path.exists():
        path = next(home.rglob("outbox.sqlite3"), path)
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as db:
            row = db.execute("SELECT state, reason FROM outbox").fetchone()
    except sqlite3.Error:
        return None
    return (row[0], row[1] or "") if row else None


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_while_waiting_to_retry_the_item_is_queued_and_resume_sends_it_once(
    run_composer, composer_home: Path, rest_ca: trustme.CA, ca_file: Path, body: Path,
    sig: signal.Signals,
) -> None:  # fmt: skip
    with HostilePeer("busy_20", ca=rest_ca, lifetime=30) as busy:
        args = to_peer(busy, ca_file, body)
        args[args.index("--final-timeout") + 1] = "25"  # 20 s is within what the person allows
        env = child_env(composer_home, GOOD_KEY)
        with watched([*composer_command(), *args], within=20, env=env) as proc:
            # wait (bounded) for what the child itself records: the retry it is waiting for
            deadline = time.monotonic() + 15
            state = None
            while time.monotonic() < deadline and proc.poll() is None:
                state = _outbox_state(composer_home)
                if state and "retrying" in state[1]:
                    break
                threading.Event().wait(0.05)
            assert state and "retrying" in state[1], state
            assert state[0] != "awaiting"
            proc.send_signal(sig)
            proc.wait(10)
        assert len(busy.posts()) == 1
    listed = run_composer("outbox", "--json", env=KEY_ENV)  # recovery runs first, as always
    lists = json.loads(listed.out)
    assert [i["state"] for i in lists["pending"]] == ["queued"] and lists["unknown"] == [], lists
    with HostilePeer("good", ca=rest_ca) as good:
        resumed = run_composer(
            "outbox", "resume", "--api", "rest", "--provider", "custom", "--api-url", good.url(),
            "--ca-file", str(ca_file), "--timeout", "3", "--final-timeout", "3",
            env=KEY_ENV, timeout=30,
        )  # fmt: skip
        again = run_composer(
            "outbox", "resume", "--api", "rest", "--provider", "custom", "--api-url", good.url(),
            "--ca-file", str(ca_file), "--timeout", "3", "--final-timeout", "3",
            env=KEY_ENV, timeout=30,
        )  # fmt: skip
        posts = good.posts()
    assert resumed.code == 0, resumed.out + resumed.err
    assert again.code == 0 and "Traceback" not in again.err, again.err
    assert len(posts) == 1  # sent once
