"""``composer outbox``: what waits to be sent, what failed and why, and what may have been sent.

    composer outbox [list] [--json]   pending, failed (with reasons), unknown
    composer outbox resume [flags]    send every queued item now (same bytes, same Message-ID)
    composer outbox resend ID         queue a failed or unknown item again (your decision)
    composer outbox discard ID        forget an item

An item whose final reply never came is "unknown": it may have been sent, so it is never sent
again unless you say so with ``resend``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from composer.cli import EXIT_INVALID, EXIT_OK, UsageError

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    from composer.cli.send import add_fallback_port_argument

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
    for name, what in (
        ("resend", "queue a failed or unknown item again"),
        ("discard", "forget an item"),
    ):
        a = acts.add_parser(name, help=what)
        a.add_argument("id", type=int, metavar="ID")
    r = acts.add_parser("resume", help="send every queued item now")
    r.add_argument("--profile", metavar="NAME")
    r.add_argument(
        "--provider",
        metavar="PRESET",
        choices=["sparkpost", "sparkpost-eu", "bird", "bird-eu", "custom", "local"],
    )
    r.add_argument("--host", metavar="HOST")
    r.add_argument("--port", metavar="N", type=int)
    add_fallback_port_argument(r)
    r.add_argument("--subaccount", metavar="ID")
    r.add_argument("--workspace", metavar="ID")
    r.add_argument("--ca-file", metavar="FILE")
    r.add_argument("--no-tls", action="store_true")
    r.add_argument("--api", choices=["smtp", "rest"], default=None)
    r.add_argument("--api-url", metavar="URL")
    r.add_argument("--retries", type=int, default=3, metavar="N")
    r.add_argument("--retry-delay", type=float, default=1.0, metavar="SECONDS")
    r.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    r.add_argument("--final-timeout", type=float, default=600.0, metavar="SECONDS")
    r.add_argument("--json", action="store_true", help="print a JSON report")


def run_outbox(args: argparse.Namespace) -> int:
    from composer.store.outbox import Outbox

    action = args.outbox_action or "list"
    with Outbox() as outbox:
        outbox.recover_on_start()
        if action == "list":
            return _list(outbox, args.json)
        if action == "resume":
            return _resume(outbox, args)
        item = outbox.get(args.id)
        if item is None:
            raise UsageError(f"no outbox item {args.id} (composer outbox list)")
        done = outbox.resend(args.id) if action == "resend" else outbox.discard(args.id)
        if not done:
            print(f"error: item {args.id} is {item.state}; cannot {action} it", file=sys.stderr)
            return EXIT_INVALID
        what = "queued again (composer outbox resume)" if action == "resend" else "discarded"
        print(f"item {args.id}: {what}", file=sys.stderr)
        return EXIT_OK


def _list(outbox: Any, as_json: bool) -> int:
    from composer.store.outbox import UNKNOWN_HINT

    groups = {"pending": outbox.pending(), "failed": outbox.failed(), "unknown": outbox.unknown()}
    if as_json:
        print(json.dumps({k: [i.as_json() for i in v] for k, v in groups.items()}, indent=2))
        return EXIT_OK
    if not any(groups.values()):
        print("The outbox is empty.", file=sys.stderr)
        return EXIT_OK
    for name, items in groups.items():
        if not items:
            continue
        title = f"{name} — {UNKNOWN_HINT}" if name == "unknown" else name
        print(f"{title}:")
        for i in items:
            why = f"  ({i.reason})" if i.reason else ""
            print(f"  {i.id:>5}  {i.state:<8} {', '.join(i.rcpt_to)}  {i.subject!r}{why}")
    return EXIT_OK


def _resume(outbox: Any, args: argparse.Namespace) -> int:
    from composer.cli.send import _check_network_args, _print_result, announce, profile_from_args
    from composer.store.outbox import QUEUED
    from composer.transport.deliver import deliver
    from composer.transport.sender import SendOptions

    _check_network_args(args)
    queued = outbox.items(QUEUED)
    if not queued:
        print("nothing queued", file=sys.stderr)
        return EXIT_OK

    def show(result: Any) -> None:
        if not args.json:
            _print_result(result, len(queued))

    report = deliver(
        outbox,
        profile_from_args(args),
        queued_ids=[i.id for i in queued],
        options=SendOptions(retries=args.retries, retry_delay=args.retry_delay),
        on_result=show,
        ca_file=args.ca_file,
        timeout=args.timeout,
        final_timeout=args.final_timeout,
        announce=announce,
    )
    if args.json:
        print(json.dumps({"messages": [r.as_json() for r in report.results]}, indent=2))
    print(
        f"{report.count('sent')} sent, {report.count('failed')} failed, "
        f"{report.count('unknown')} unknown from the outbox",
        file=sys.stderr,
    )
    return report.exit_code
