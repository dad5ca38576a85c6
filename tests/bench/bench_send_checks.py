"""What the pre-send checks add to a 500-seed `composer send`: the build of the 500 messages (the
baseline, measured side by side in the same run) against the same build plus the checks, which
a send runs once, on the render and build it already made (cli/send_checks.py).

    cd tests && ../.venv/bin/python -m bench.bench_send_checks [--seeds 500] [--runs 5] [--json F]

On the largest real template, with the relay's inline_css on (the render does the most work).
Prints the medians and the ratio (checks included / build alone); it never fails on a time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench import bench_common as bc


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=500)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    from composer.app.checks import run_for_send
    from composer.app.context import Context
    from composer.core.build import build_messages
    from composer.core.draft import Recipient
    from composer.core.render import render
    from composer.transport.profiles.store import Profile

    template = max(bc.templates(), key=lambda p: p.stat().st_size)
    draft = bc.make_draft(template.read_text(encoding="utf-8"), "css-inline")
    seeds = [Recipient(f"seed{i}@example.com") for i in range(args.seeds)]
    context = Context.at(tempfile.mkdtemp(prefix="bench-send-checks-"))
    profile = Profile.new("bench", "sparkpost")
    build_ms: list[float] = []
    with_ms: list[float] = []
    checks_ms: list[float] = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        rendered = render(draft)
        build_messages(draft, seeds=seeds, rendered=rendered)
        build_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        rendered = render(draft)
        messages = build_messages(draft, seeds=seeds, rendered=rendered)
        t1 = time.perf_counter()
        run_for_send(context, draft, profile, rendered=rendered, messages=messages)
        t2 = time.perf_counter()
        with_ms.append((t2 - t0) * 1000)
        checks_ms.append((t2 - t1) * 1000)
    out = {
        "template": template.name,
        "seeds": args.seeds,
        "build_ms_p50": round(statistics.median(build_ms), 1),
        "with_checks_ms_p50": round(statistics.median(with_ms), 1),
        "checks_ms_p50": round(statistics.median(checks_ms), 1),
        "ratio": round(statistics.median(with_ms) / statistics.median(build_ms), 3),
    }
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
