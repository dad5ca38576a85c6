"""kill -9, then the obvious rerun: never a second copy unless the person asks for one.

A real `composer send --seed-list` to a loopback aiosmtpd that holds its reply to the n-th
MAIL FROM (a slow server; the hold is an event, not a sleep) is SIGKILLed while held. Running
the very same command again must refuse with exit 2 and say how many messages of this send
are still in the outbox, sending nothing; `composer outbox resume` then sends only the
left-over ones; only `--new-copies` sends everyone again. And a message the CLI reported
"gave up" is "failed" in the outbox, so no resume sends it behind the person's back.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from support.cli import child_env, composer_command, send_args, watched
from support.smtp_faults import GOOD_KEY
from support.smtp_gated import GatedServer

SEEDS = 12
HELD_AT = 6  # the 6th MAIL FROM is held: 5 messages have gone out


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*composer_command(), *args], capture_output=True, text=True, env=child_env(home, GOOD_KEY),
        timeout=120,
    )  # fmt: skip


def _send_args(tmp: Path) -> list[str]:
    seeds = tmp / "seeds.txt"
    seeds.write_text("".join(f"seed{i:02d}@example.com\n" for i in range(SEEDS)))
    body = tmp / "body.txt"
    body.write_text("The same test, sent once.\n")
    # One connection: the counts below assume nothing else is delivered while MAIL n is held.
    return send_args(body, "--connections", "1", seeds=seeds, subject="rerun test", kind="--text")


def test_the_rerun_after_a_kill_refuses_and_resume_sends_only_the_rest(tmp_path: Path) -> None:
    home = tmp_path / "home"
    send = _send_args(tmp_path)
    with GatedServer(tmp_path, gate=("MAIL", HELD_AT)) as server:
        args = [*send, *server.connection_args()]
        command = [*composer_command(), *args]
        with watched(command, within=60, env=child_env(home, GOOD_KEY)) as proc:
            while server.handler.events.get(timeout=60) != ("HELD MAIL", HELD_AT):
                pass
            proc.kill()  # SIGKILL, mid-batch
            proc.wait(timeout=30)
        server.handler.release.set()
        first = server.deliveries()
        assert sum(first.values()) == HELD_AT - 1 and max(first.values()) == 1

        rerun = _run(home, *args)
        assert rerun.returncode == 2, rerun.stderr
        listing = json.loads(_run(home, "outbox", "--json").stdout)
        held = len(listing["pending"]) + len(listing["unknown"])
        assert held >= SEEDS - (HELD_AT - 1)
        assert (
            f"error: {held} messages of this send are still in the outbox: "
            "`composer outbox resume` or `composer outbox discard`"
        ) in rerun.stderr
        assert "--new-copies" in rerun.stderr and "Traceback" not in rerun.stderr
        assert server.deliveries() == first  # the rerun sent nothing

        resume = _run(home, "outbox", "resume", *server.connection_args())
        assert resume.returncode == 0, resume.stderr
        after = server.deliveries()
        unknown = {r for item in listing["unknown"] for r in item["rcpt_to"]}
        for i in range(SEEDS):  # everyone once; an "unknown" one is never resent by itself
            rcpt = f"seed{i:02d}@example.com"
            assert after[rcpt] == 1 or (rcpt in unknown and after[rcpt] <= 1), (rcpt, after)

        # Still held (an unknown one, if any) -> still refused; --new-copies: the decision.
        again = _run(home, *args, "--new-copies")
        assert again.returncode == 0, again.stderr
        final = server.deliveries()
        assert all(final[r] == after[r] + 1 for r in after) and len(final) == SEEDS


def test_a_message_reported_gave_up_is_failed_and_resume_leaves_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with GatedServer(tmp_path) as server:
        server.fault.script("DATA", "451 4.3.0 busy, try later", times=20)
        body = tmp_path / "b.txt"
        body.write_text("hello\n")
        sent = _run(
            home, "send", "--from", "ann@example.com", "--to", "bob@example.com",
            "--subject", "s", "--text", str(body), "--retries", "1",
            *server.connection_args(),
        )  # fmt: skip
        assert sent.returncode == 4 and "gave up after 2 attempts" in sent.stderr, sent.stderr
        listing = json.loads(_run(home, "outbox", "--json").stdout)
        assert listing["pending"] == []
        (failed,) = listing["failed"]
        assert failed["state"] == "failed" and "gave up" in failed["reason"]
        resume = _run(home, "outbox", "resume", *server.connection_args())
        assert resume.returncode == 0 and "nothing queued" in resume.stderr
        assert len(server.fault.received) == 2  # the two attempts, nothing more
        # a failed copy is not "held": the same command sends a fresh one without a fuss
        server.fault.handler.scripts.clear()
        rerun = _run(
            home, "send", "--from", "ann@example.com", "--to", "bob@example.com",
            "--subject", "s", "--text", str(body), *server.connection_args(),
        )  # fmt: skip
        assert rerun.returncode == 0, rerun.stderr
        assert server.deliveries() == {"bob@example.com": 1}
        assert re.search(r"1 sent, 0 failed", rerun.stderr)
