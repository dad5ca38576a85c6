"""``composer outbox``: what waits to be sent, what failed and why, and what may have been sent.

    composer outbox [list] [--json]   pending, failed (with reasons), unknown
    composer outbox resume [flags]    send every queued item now (same bytes, same Message-ID)
    composer outbox resend ID         queue a failed or unknown item again (your decision)
    composer outbox discard ID...     forget items (IDs or ranges: 3 7-12)
    composer outbox salvage           copy what can be read from a damaged outbox file into a
                                      new one, keeping the damaged file beside it

An item whose final reply never came is "unknown": it may have been sent, so it is never sent
again unless you say so with ``resend``. A row that cannot be read as written is listed as
"damaged" with what is wrong; it is never sent, and ``discard`` forgets it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from composer.app.context import Context
from composer.cli import connection
from composer.cli.report import print_cancelled
from composer.core.errors import ExitCode, UsageError
from composer.core.outcome import Status

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "outbox",
        help="list, resume, resend or discard outbox items",
        description="Every message is written to the outbox before it is sent. An item whose "
        "final reply never came is 'unknown' (may have been sent — check before resending).",
    )
    p.set_defaults(handler=run_outbox, outbox_action="list")
    acts = p.add_subparsers(dest="outbox_action", metavar="ACTION", parser_class=type(p))
    ls = acts.add_parser("list", help="pending, failed and unknown items (the default)")
    ls.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--json", action="store_true", help="print JSON")
    a = acts.add_parser("resend", help="queue a failed or unknown item again")
    a.add_argument("id", type=int, metavar="ID")
    d = acts.add_parser("discard", help="forget items (IDs or ranges such as 3 7-12)")
    d.add_argument("ids", nargs="+", metavar="ID")
    acts.add_parser(
        "salvage",
        help="copy the readable items of a damaged outbox into a new one (keeps the old file)",
    )
    r = acts.add_parser("resume", help="send every queued item now")
    connection.add_connection_arguments(
        r.add_argument_group("relay connection (default: the default profile)")
    )
    r.add_argument("--json", action="store_true", help="print a JSON report")


_MAX_IDS = 100_000  # a typo like 1-999999999 must not keep the command busy for minutes


def _parse_ids(values: list[str]) -> list[int]:
    ids: list[int] = []
    for v in values:
        first, sep, last = v.partition("-")
        try:
            lo, hi = int(first), int(last) if sep else int(first)
        except ValueError:
            raise UsageError(
                f"ID: {v[:40]!r} is not an item number or a range like 7-12"
            ) from None
        if lo < 1 or hi < lo or hi >= 2**63:  # SQLite's integers end at 2**63 - 1
            raise UsageError(f"ID: {v[:40]!r} is not a range of item numbers")
        ids += range(lo, min(hi, lo + _MAX_IDS) + 1)
        if len(ids) > _MAX_IDS:
            raise UsageError(f"ID: at most {_MAX_IDS} items at once")
    return ids


def run_outbox(context: Context, args: argparse.Namespace) -> int:
    action = args.outbox_action or "list"
    if action == "salvage":
        return _salvage(context)
    with context.outbox() as outbox:
        outbox.recover_on_start()
        if action == "list":
            return _list(outbox, args.json)
        if action == "resume":
            return _resume(context, outbox, args)
        if action == "discard":
            return _discard(outbox, _parse_ids(args.ids))
        item = outbox.get(args.id)
        if item is None:
            raise UsageError(f"no outbox item {args.id} (composer outbox list)")
        if item.problem:
            print(
                f"error: item {args.id} is damaged ({item.problem}); it cannot be sent: "
                f"`composer outbox discard {args.id}` forgets it",
                file=sys.stderr,
            )
            return ExitCode.INVALID
        if not outbox.resend(args.id):
            print(f"error: item {args.id} is {item.state}; cannot resend it", file=sys.stderr)
            return ExitCode.INVALID
        print(f"item {args.id}: queued again (composer outbox resume)", file=sys.stderr)
        return ExitCode.OK


def _discard(outbox: Any, ids: list[int]) -> int:
    from composer.store.outbox_items import id_ranges

    missing, busy, done = [], [], []
    for i in ids:
        item = outbox.get(i)
        if item is None:
            missing.append(i)
        elif outbox.discard(i):
            done.append(i)
        else:
            busy.append(i)
    if done:
        print(f"discarded {len(done)} item(s): {id_ranges(done)}", file=sys.stderr)
    if busy:
        print(f"error: being sent now, not discarded: {id_ranges(busy)}", file=sys.stderr)
    if missing and len(ids) == 1:
        raise UsageError(f"no outbox item {ids[0]} (composer outbox list)")
    if missing:
        print(f"error: no such item(s): {id_ranges(missing)}", file=sys.stderr)
    return ExitCode.OK if done and not busy else ExitCode.INVALID


def _salvage(context: Context) -> int:
    from composer.store.outbox_salvage import salvage

    context.secure()
    report = salvage(context.paths.outbox_db)
    if report.moved_to is None:
        print(report.detail, file=sys.stderr)
        return ExitCode.OK
    states: dict[str, int] = {}
    for item in report.items:
        states[item.state] = states.get(item.state, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in states.items()) or "none"
    print(f"salvaged {len(report.items)} item(s) into a new outbox ({summary})", file=sys.stderr)
    if not report.complete:
        print(
            f"warning: part of the damaged file could not be read ({report.detail}); "
            "items stored there are not in the new outbox",
            file=sys.stderr,
        )
    print(f"the damaged file is kept as {report.moved_to}", file=sys.stderr)
    print("see `composer outbox` for what is queued and what may have been sent", file=sys.stderr)
    return ExitCode.OK


def _list(outbox: Any, as_json: bool) -> int:
    from composer.store.outbox_items import UNKNOWN_HINT, OutboxItem

    groups: dict[str, list[OutboxItem]] = {
        "pending": [i for i in outbox.pending() if not i.problem],
        Status.FAILED: [i for i in outbox.failed() if not i.problem],
        Status.UNKNOWN: [i for i in outbox.unknown() if not i.problem],
        "damaged": outbox.damaged(),
    }
    if as_json:
        print(json.dumps({k: [i.as_json() for i in v] for k, v in groups.items()}, indent=2))
        return ExitCode.OK
    if not any(groups.values()):
        print("The outbox is empty.", file=sys.stderr)
        return ExitCode.OK
    for name, items in groups.items():
        if not items:
            continue
        if name == Status.UNKNOWN:
            title = f"{name} — {UNKNOWN_HINT}"
        elif name == "damaged":
            title = f"{name} — cannot be read as written; never sent (discard them)"
        else:
            title = name
        print(f"{title}:")
        for i in items:
            why = f"  ({i.problem or i.reason})" if i.problem or i.reason else ""
            state = i.state[:8] if i.state.isprintable() else repr(i.state)[:10]
            print(f"  {i.id:>5}  {state:<8} {', '.join(i.rcpt_to)}  {i.subject!r}{why}")
    return ExitCode.OK


def _resume(context: Context, outbox: Any, args: argparse.Namespace) -> int:
    from composer.app.deliver import deliver
    from composer.cli.report import print_result
    from composer.store.outbox_items import QUEUED, id_ranges

    connection.check_connection_args(args)
    queued = outbox.sendable()
    damaged = [i.id for i in outbox.items(QUEUED) if i.problem]
    if damaged:
        print(
            f"warning: {len(damaged)} damaged item(s) not sent: {id_ranges(damaged)} "
            "(composer outbox)",
            file=sys.stderr,
        )
    if not queued:
        print("nothing queued", file=sys.stderr)
        return ExitCode.OK

    def show(result: Any) -> None:
        if not args.json:
            print_result(result, len(queued))

    profile = connection.profile_from_args(context, args)
    connection.check_api_args(args, profile.api)
    from composer.cli.interrupt import cancel_on_sigint

    with cancel_on_sigint() as cancel:
        report = deliver(
            context,
            outbox,
            profile,
            queued_ids=[i.id for i in queued],
            options=connection.send_options(args, profile),
            on_result=show,
            cancel=cancel,
            **connection.session_args(args),
        )
    if args.json:
        print(json.dumps({"messages": [r.as_json() for r in report.results]}, indent=2))
    print(
        f"{report.count(Status.SENT)} sent, {report.count(Status.FAILED)} failed, "
        f"{report.count(Status.UNKNOWN)} unknown"
        + (f", {report.count(Status.CANCELLED)} cancelled" if report.cancelled else "")
        + " from the outbox",
        file=sys.stderr,
    )
    print_cancelled(report)
    return report.exit_code
