"""Every reliability suite at full size, one summary table, a non-zero exit on any loss,
duplicate, traceback or leak:

    cd tests && ../.venv/bin/python -m reliability.run_all [--quick] [--fuzz-seconds N]

Run as a module from the tests folder: it imports the suites it runs (``reliability.…``,
``store.…``, ``relay.…``) and they import ``support``, all found from there as under pytest
(``pythonpath = ["tests"]``), so nothing edits ``sys.path``.

1 fault matrix · 2 crash while editing (100 kills) · 3 crash while sending (20 × 50 messages)
· 4 hostile input · 5 secrets · 6 preview privacy · 7 property tests and a relay-parser fuzz
· 8 the threat list (THREATS.md): every test it names, with figures (`--threats`: it alone).
CI runs the fast variants with plain `pytest` (the `slow` marker is deselected there).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


def _pytest(*targets: str, marks: str = "") -> tuple[int, str]:
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", marks, *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    last = (r.stdout.strip().splitlines() or [""])[-1]
    return r.returncode, last


def fuzz_relay_parser(seconds: float) -> dict[str, Any]:
    """Mutate real messages for a fixed time; every input must give copies or a 550."""
    from relay import test_fanout

    from composer.core.build import build_message
    from composer.core.draft import Draft, Recipient

    check = test_fanout.test_any_bytes_give_copies_or_a_550_never_a_crash.hypothesis.inner_test
    seed_msg = build_message(
        Draft(
            from_addr=Recipient("ann@example.com"),
            to=[Recipient("bob@example.com")],
            cc=[Recipient("cc@example.com", "Cé")],
            bcc=[Recipient("b@example.com")],
            subject="fuzz",
            body="Hello",
            campaign_id="c",
            metadata={"k": "v"},
            tags=["t"],
        )
    ).data
    pieces = [
        b"\r\n",
        b"\r\n ",
        b"\n",
        b'"',
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b"\\",
        b"X-MSYS-API: ",
        b"\x00",
        b"\xff",
        b"=?utf-8?q?x?=",
        b"@",
        b"<",
        b">",
        b" " * 80,
    ]
    rng = random.Random(int(os.environ.get("FUZZ_SEED", "0")) or random.randrange(1 << 30))
    runs = crashes = 0
    first = ""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        data = bytearray(seed_msg)
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(data) + 1)
            op = rng.random()
            if op < 0.4:
                data[at:at] = rng.choice(pieces)
            elif op < 0.7 and at < len(data):
                data[at] = rng.randrange(256)
            else:
                del data[at : at + rng.randint(1, 40)]
        runs += 1
        try:
            check(bytes(data))
        except Exception as exc:
            crashes += 1
            first = first or f"{type(exc).__name__}: {exc} for {bytes(data)[:120]!r}"
    return {"runs": runs, "crashes": crashes, "first": first}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the fast sizes (as CI)")
    ap.add_argument("--fuzz-seconds", type=float, default=None)
    ap.add_argument("--threats", action="store_true", help="only suite 8, the threat list")
    opts = ap.parse_args()
    draft_rounds = 10 if opts.quick else 100
    send_rounds = 4 if opts.quick else 20
    fuzz_seconds = opts.fuzz_seconds or (5 if opts.quick else 60)

    from reliability.test_crash_sending import run_crash_sending
    from reliability.test_fault_matrix import run_matrix
    from reliability.test_hostile_input import run_hostile
    from reliability.test_secrets_sweep import run_secrets_sweep
    from store.test_drafts_crash import run_draft_crash_rounds

    rows: list[tuple[str, str, bool]] = []
    tmp = Path(tempfile.mkdtemp(prefix="composer-reliability-"))

    def suite(name: str, fn: Callable[[Path], tuple[str, bool]]) -> None:
        folder = tmp / name.split()[0]
        folder.mkdir()
        started = time.monotonic()
        home = os.environ.get("COMPOSER_HOME")
        os.environ["COMPOSER_HOME"] = str(folder / "composer-home")
        try:
            figures, ok = fn(folder)
        except Exception as exc:
            traceback.print_exc()
            figures, ok = f"ERROR {type(exc).__name__}: {exc}"[:200], False
        finally:
            if home is None:
                os.environ.pop("COMPOSER_HOME", None)
            else:
                os.environ["COMPOSER_HOME"] = home
        rows.append((name, f"{figures} ({time.monotonic() - started:.0f} s)", ok))

    def matrix(d: Path) -> tuple[str, bool]:
        f = run_matrix(d)
        return (
            f"{f['cases']} cases × messages = {f['messages']} messages; "
            f"{f['duplicates']} duplicates; {len(f['bad'])} without an honest end state",
            f["duplicates"] == 0 and not f["bad"],
        )

    def editing(d: Path) -> tuple[str, bool]:
        f = run_draft_crash_rounds(d, draft_rounds)
        return (
            f"{f['recovered']}/{f['rounds']} kill -9 rounds recovered a complete draft",
            f["recovered"] == f["rounds"],
        )

    def sending(d: Path) -> tuple[str, bool]:
        f = run_crash_sending(d, send_rounds)
        return (
            f"{f['rounds']} kills × 50 messages: {f['delivered']}/{f['messages']} delivered"
            f", {f['lost']} lost, {f['duplicates']} duplicates "
            f"({f['unaccounted_duplicates']} unaccounted), {f['unknown']} reported unknown",
            not f["problems"] and f["lost"] == 0 and f["unaccounted_duplicates"] == 0,
        )

    def hostile(d: Path) -> tuple[str, bool]:
        f = run_hostile(d)
        return (
            f"{f['tried']} inputs tried; {f['silent']} accepted silently; "
            f"{f['tracebacks']} tracebacks",
            not f["bad"],
        )

    def secrets(d: Path) -> tuple[str, bool]:
        f = run_secrets_sweep(d)
        return (
            f"{f['commands']} commands incl. the window's send; {f['files']} files + "
            f"{f['outputs']} outputs/log records searched; {f['hits']} hits",
            f["hits"] == 0 and f["window_sent"] == 1,
        )

    def privacy(d: Path) -> tuple[str, bool]:
        code, last = _pytest(
            "tests/gui/test_preview.py::"
            "test_hostile_message_makes_no_request_until_remote_content_is_allowed",
            "tests/gui/test_window.py::test_hostile_body_makes_no_request_from_the_preview",
        )
        return (
            f"hostile HTML in the real preview: 0 requests and 0 navigations asserted, "
            f"images load once allowed — pytest: {last}",
            code == 0,
        )

    def properties(d: Path) -> tuple[str, bool]:
        code, last = _pytest(
            "tests/core/test_headers.py", "tests/core/test_msys.py", "tests/relay/test_fanout.py"
        )
        f = fuzz_relay_parser(fuzz_seconds)
        if f["first"]:
            print("fuzz: first crash:", f["first"])
        return (
            f"hypothesis (headers, folding, addresses, fan-out): {last}; relay parser fuzz "
            f"{fuzz_seconds:.0f} s: {f['runs']} inputs, {f['crashes']} crashes",
            code == 0 and f["crashes"] == 0,
        )

    def threat_list(d: Path) -> tuple[str, bool]:
        from support import threats

        found = threats.rows()
        listed = [r for r in found if not r.is_open]
        by = threats.outcomes(found)
        # The CI sizes: suites 2 and 3 run the full-size kill rounds.
        code, last = _pytest(*threats.node_ids(found), marks="not slow")
        cells = {(r.surface, r.threat) for r in listed}
        return (
            f"{len(listed)} rows over {len(cells)} surface × threat cells "
            f"({len(found) - len(listed)} known gaps listed); outcomes: "
            + ", ".join(f"{n} {k}" for k, n in by.most_common())
            + f"; every case asserts 0 tracebacks, 0 hangs, 0 duplicates, 0 leaks — "
            f"pytest: {last}",
            code == 0 and not threats.problems(found),
        )

    if not opts.threats:
        suite("1 fault matrix", matrix)
        suite("2 crash while editing", editing)
        suite("3 crash while sending", sending)
        suite("4 hostile input", hostile)
        suite("5 secrets", secrets)
        suite("6 preview privacy", privacy)
        suite("7 property tests + fuzz", properties)
    suite("8 threat list", threat_list)

    print("\n| Suite | Figures | Result |\n|---|---|---|")
    for name, figures, ok in rows:
        print(f"| {name} | {figures} | {'pass' if ok else 'FAIL'} |")
    failed = [name for name, _, ok in rows if not ok]
    print(
        f"\n{len(rows) - len(failed)}/{len(rows)} suites passed"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
