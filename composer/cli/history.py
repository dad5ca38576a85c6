"""``composer history``: what was sent, when, through which profile, and what the relay said."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from composer.app.context import Context
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
    if args.json:
        print(json.dumps([e.as_json() for e in entries], indent=2))
        return ExitCode.OK
    if not entries:
        print("No sends yet.", file=sys.stderr)
        return ExitCode.OK
    for e in entries:
        rcpts = ", ".join(e.rcpt_to)
        reply = f"{e.code} {e.reply}".strip() if e.code else e.error
        tid = f"  transmission {e.transmission_id}" if e.transmission_id else ""
        print(f"{e.time}  {e.status:<7}  {e.profile:<12} {rcpts}  {e.subject!r}  {reply}{tid}")
    return ExitCode.OK
