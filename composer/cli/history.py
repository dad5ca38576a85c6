"""``composer history``: what was sent, when, through which profile, what the relay said, and
what became of each recipient as far as the history knows (the delivery events ``composer
events`` and the window stored; nothing is asked here)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from composer.app.context import Context
from composer.app.events import states_of
from composer.core.errors import ExitCode, UsageError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "history",
        help="list recent sends",
        description="Recent send attempts, newest first (never any key).",
    )
    p.add_argument("-n", "--limit", type=int, default=20, metavar="N", help="how many (20)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_history)


def run_history(context: Context, args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UsageError("--limit: give a number of 1 or more")
    with context.history() as history:
        entries = history.recent(args.limit)
        stored = history.events([e.id for e in entries])
    delivery = {e.id: states_of(e, stored[e.id]) if stored[e.id] else [] for e in entries}
    if args.json:
        docs = [e.as_json() for e in entries]
        for doc, e in zip(docs, entries, strict=True):
            doc["delivery"] = [r.as_json() for r in delivery[e.id]] or None
        print(json.dumps(docs, indent=2))
        return ExitCode.OK
    if not entries:
        print("No sends yet.", file=sys.stderr)
        return ExitCode.OK
    for e in entries:
        rcpts = ", ".join(e.rcpt_to)
        reply = f"{e.code} {e.reply}".strip() if e.code else e.error
        tid = f"  transmission {e.transmission_id}" if e.transmission_id else ""
        print(f"{e.time}  {e.status:<7}  {e.profile:<12} {rcpts}  {e.subject!r}  {reply}{tid}")
        for r in delivery[e.id]:
            print(f"    {r.rcpt}: {r.describe()}")
    return ExitCode.OK
