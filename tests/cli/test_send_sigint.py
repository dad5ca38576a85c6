"""Ctrl+C during `composer send` (issue 15 #9, the CLI's Cancel): a real child process, a real
SIGINT, a slow scripted relay. The send stops within about a second, a message whose final
"." went out is answered first, the rest are reported "cancelled" (not "failed") and kept
queued in the outbox, the command says how to resume or discard them, and it exits 130
(ExitCode.INTERRUPTED, the shells' code for Ctrl+C). Then `--connections` is checked."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import child_env, composer_command, connection_args, send_args, watched
from support.smtp_hostile import Drip, HostilePeer

SEEDS = 40
KEY = "k3y-sigint"
PIPELINING_EHLO = "250-slow.example\r\n250-PIPELINING\r\n250-AUTH LOGIN\r\n250 8BITMIME"


@pytest.fixture
def slow_peer() -> Iterator[HostilePeer]:
    peer = HostilePeer(
        {"EHLO": PIPELINING_EHLO, "DOT": Drip("250 2.0.0 queued", 0.02, forever=False)},
        max_connections=20,
        cap=90,
    ).start()
    try:
        yield peer
    finally:
        peer.stop()


def test_ctrl_c_cancels_reports_cancelled_and_keeps_them_queued(
    tmp_path: Path, composer_home: Path, slow_peer: HostilePeer
) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("".join(f"seed{i:02d}@example.com\n" for i in range(SEEDS)))
    body = tmp_path / "body.md"
    body.write_text("Hello\n")
    command = [*composer_command(), *send_args(body, *connection_args(slow_peer), seeds=seeds)]
    env = child_env(composer_home, KEY)
    with watched(command, within=60, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        for _ in range(3):  # three results in: the send is well under way
            assert "sent" in proc.stdout.readline()
        proc.send_signal(signal.SIGINT)
        pressed = time.monotonic()
        code = proc.wait(timeout=30)
        stopped = time.monotonic() - pressed
        out, err = proc.stdout.read(), proc.stderr.read()
    assert code == 130, err
    assert stopped < 1.5, f"{stopped:.2f} s from Ctrl+C to exit"  # the process ends too
    summary = re.search(r"(\d+) sent, (\d+) failed, (\d+) unknown, (\d+) cancelled", err)
    assert summary, err
    sent, failed, unknown, cancelled = map(int, summary.groups())
    assert failed == 0 and unknown == 0 and cancelled > 0 and sent + cancelled == SEEDS
    assert err.count("CANCELLED: not sent, kept in the outbox") == cancelled
    assert "Traceback" not in err
    assert "`composer outbox resume` sends them" in err
    assert len(slow_peer.messages) == sent  # none half-sent, none twice

    listing = subprocess.run(
        [*composer_command(), "outbox", "--json"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    held = json.loads(listing.stdout)
    assert len(held["pending"]) == cancelled and held["failed"] == [] and held["unknown"] == []
    assert 3 + out.count("sent (250") == sent  # three lines were read above


@pytest.mark.parametrize("value", ["0", "21", "-1"])
def test_connections_out_of_range_is_exit_2_naming_the_flag(run_composer, value: str) -> None:
    r = run_composer("send", "--from", "a@example.com", "--to", "b@example.com", "--subject",
                     "x", "--text", "-", "--connections", value, stdin=b"hi")  # fmt: skip
    assert r.code == 2
    assert "--connections: give a number from 1 to 20" in r.err
    assert "Traceback" not in r.err


def test_outbox_resume_takes_connections_too(run_composer) -> None:
    r = run_composer("outbox", "resume", "--connections", "99")
    assert r.code == 2 and "--connections" in r.err


def test_a_profile_keeps_its_connections_and_a_send_uses_them(
    run_composer, tmp_path: Path, slow_peer: HostilePeer
) -> None:
    bad = run_composer("profile", "add", "wide", "--provider", "custom", "--host", "127.0.0.1",
                       "--connections", "25", "--no-tls", "--key-stdin", stdin=b"k\n")  # fmt: skip
    assert bad.code == 2 and "connections" in bad.err and "Traceback" not in bad.err
    add = run_composer("profile", "add", "two", "--provider", "custom", "--host", "127.0.0.1",
                       "--port", str(slow_peer.port), "--no-tls", "--connections", "2")  # fmt: skip
    assert add.code == 0, add.err
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("".join(f"s{i}@example.com\n" for i in range(6)))
    body = tmp_path / "body.md"
    body.write_text("Hello\n")
    r = run_composer(*send_args(body, "--profile", "two", "--json", seeds=seeds),
                     env={"COMPOSER_API_KEY": KEY})  # fmt: skip
    assert r.code == 0, r.err
    assert json.loads(r.out)["connections"] == 2 and slow_peer.connections == 2
