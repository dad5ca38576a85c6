"""Kill -9 in the middle of autosaving: recovery still gives back a whole draft.

A child process autosaves a ~1 MB draft in a loop, announcing each one on stdout ("saving N"
before, "saved N" after) and the parent SIGKILLs it at a random moment chosen on the child's
own output (no sleeps). Two kinds of rounds, alternating:

* free-running: the kill follows a random "saved N" or "saving N" line while the child runs on,
  so it lands wherever the child has got to (building the draft, serialising, writing);
* lockstep: the child stops before each system call of the autosave (rename to .prev, the temp
  file created, fsync of the data, the final rename, fsync of the folder) until the parent
  says "go"; the parent kills it at a random one of them, so every window of the write is hit.

The draft recovered must be exactly the draft of the last "saved N", or of the autosave in
flight when the kill came after its final rename — never a torn one, never nothing.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import IO

import pytest
from support.cli import watched
from support.sizes import quick_then_full

from composer.store.atomic import TMP_PREFIX, TMP_SUFFIX
from composer.store.drafts import DraftStore

ROUNDS = 20
ROOT = Path(__file__).resolve().parents[2]
STEPS = ("replace-prev", "mkstemp", "fsync-data", "replace", "fsync-dir")  # order in autosave

# Shared by the child and this test, so both build the very same draft for a counter.
MAKE_DRAFT = r"""
from composer.core.draft import Draft, Recipient

_BLOCK = "".join(chr(0x20 + (i * 7919) % 0x5E) for i in range(1000)) + "\n"
_BASE = _BLOCK * 1050  # ~1 MB

def make_draft(n):
    marker = f"<<{n:08d}>>"
    return Draft(
        from_addr=Recipient("ann@example.com", "Ann"),
        to=[Recipient("bob@example.com")],
        subject=f"autosave {n}",
        body=marker + _BASE + marker,  # a torn file could not hold both ends
    )
"""

CHILD = (
    MAKE_DRAFT
    + r"""
import os, sys, tempfile
from composer.store.drafts import DraftStore

if sys.argv[2] == "lockstep":
    STEPS = ("replace-prev", "mkstemp", "fsync-data", "replace", "fsync-dir")
    state = {"n": 0, "k": 0}

    def pause():
        name = STEPS[state["k"]]
        state["k"] += 1
        print(f"step {state['n']} {name}", flush=True)
        if sys.stdin.readline() != "go\n":
            os._exit(3)

    real_replace, real_fsync, real_mkstemp = os.replace, os.fsync, tempfile.mkstemp

    def replace(*args, **kwargs):
        pause()
        return real_replace(*args, **kwargs)

    def fsync(fd):
        pause()
        return real_fsync(fd)

    def mkstemp(*args, **kwargs):
        made = real_mkstemp(*args, **kwargs)
        pause()  # after: the temp file exists, nothing written yet
        return made

    os.replace, os.fsync, tempfile.mkstemp = replace, fsync, mkstemp
else:
    state = {}

store = DraftStore(sys.argv[1])
print("ready", flush=True)
n = 0
while True:
    n += 1
    draft = make_draft(n)
    state.update(n=n, k=0)
    print(f"saving {n}", flush=True)
    store.autosave("crash", draft, "/home/ann/news.json")
    print(f"saved {n}", flush=True)
"""
)


def _make_draft_func():
    namespace: dict[str, object] = {}
    exec(MAKE_DRAFT, namespace)  # our own constant, shared with the child
    return namespace["make_draft"]


def _read_line(stream: IO[str], proc: subprocess.Popen[str]) -> str:
    line = stream.readline()
    if not line:
        err = proc.stderr.read() if proc.stderr else ""
        raise AssertionError(f"the child stopped early (exit {proc.poll()}): {err[-2000:]}")
    return line.strip()


def _run_and_kill(folder: Path, mode: str, target: str) -> list[str]:
    """Start the child, answer its steps, kill it right after the line ``target``; return
    every line it printed."""
    command = [sys.executable, "-c", CHILD, str(folder), mode]
    with watched(command, within=120, stdin=subprocess.PIPE, cwd=ROOT) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        assert _read_line(proc.stdout, proc) == "ready"
        seen: list[str] = []
        while True:
            line = _read_line(proc.stdout, proc)
            seen.append(line)
            if line == target:
                break
            if line.startswith("step "):
                proc.stdin.write("go\n")
                proc.stdin.flush()
        proc.kill()  # SIGKILL on POSIX
        proc.wait(timeout=30)
        seen += proc.stdout.read().splitlines()  # what it reported before it died
        return seen


# The full size runs in tests/reliability/run_all.py, or with COMPOSER_SLOW_TESTS=1.
@pytest.mark.parametrize("rounds", quick_then_full(ROUNDS, "CRASH_DRAFT_ROUNDS", 100))
def test_kill_minus_nine_never_loses_the_draft(tmp_path: Path, rounds: int) -> None:
    run_draft_crash_rounds(tmp_path, rounds)


def run_draft_crash_rounds(tmp_path: Path, rounds: int) -> dict[str, object]:
    """``rounds`` kills; the figures printed (and returned for tests/reliability/run_all.py)."""
    make_draft = _make_draft_func()
    # CRASH_TEST_SEED replays the kill points of a failed run (the timing of free runs varies)
    seed = int(os.environ.get("CRASH_TEST_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)
    recovered_ok = in_flight = strays = 0
    kills: Counter[str] = Counter()
    for round_no in range(rounds):
        folder = tmp_path / f"round{round_no}"
        mode = "free" if round_no % 2 == 0 else "lockstep"
        if mode == "free":
            # never "saving 1": every round has at least one completed autosave to expect
            kind = rng.choice(["saved", "saving"])
            target = f"{kind} {rng.randint(1 if kind == 'saved' else 2, 8)}"
            kills[f"after '{kind} N'"] += 1
        else:
            step = rng.choice(STEPS)
            target = f"step {rng.randint(2, 8)} {step}"
            kills[f"before {step}"] += 1
        seen = _run_and_kill(folder, mode, target)

        events = [line.split() for line in seen]
        last_saved = max(int(e[1]) for e in events if e[0] == "saved")
        saving = max(int(e[1]) for e in events if e[0] == "saving")
        context = f"round {round_no} ({mode}, killed at {target!r}), seed {seed}, seen {seen}"
        left = list(folder.glob(f"{TMP_PREFIX}*{TMP_SUFFIX}"))
        strays += len(left)
        if mode == "lockstep":
            # a temp file exists from "mkstemp" until the final "replace" has run
            k = STEPS.index(target.split()[2])
            assert bool(left) == (1 <= k <= 3), context
        store = DraftStore(folder)
        items = store.recoverable()
        assert store.problems == [], context
        assert len(items) == 1, context
        (item,) = items
        n = int(item.subject.split()[1])
        if mode == "lockstep":
            # killed before the final rename: the last completed one; after it: the new one
            assert n == (saving if target.endswith("fsync-dir") else last_saved), context
        else:
            assert n in {last_saved, saving}, context
        assert item.draft == make_draft(n), f"a torn draft: {context}"
        assert item.source_path == "/home/ann/news.json"
        assert not list(folder.glob(f"{TMP_PREFIX}*{TMP_SUFFIX}")), "temp files not cleaned"
        in_flight += n != last_saved
        recovered_ok += 1

    where = ", ".join(f"{count} {name}" for name, count in sorted(kills.items()))
    print(
        f"\n{recovered_ok}/{rounds} recovered (seed {seed}; kills: {where}; "
        f"{in_flight} gave the autosave in flight; {strays} stray temp files cleaned)"
    )
    assert recovered_ok == rounds
    return {"rounds": rounds, "recovered": recovered_ok, "seed": seed, "in_flight": in_flight}
