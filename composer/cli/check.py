"""``composer check``: the pre-send checks on a message, without sending it.

Takes the message, recipient and relay-option flags ``composer send`` takes (draft_args.py,
``--draft`` too) and its connection flags (connection.py: the profile decides what the relay
will do), renders and builds the message once, with the same functions a send uses, and prints
the findings grouped by category, or ``--json``: ``{"findings": [...], "summary": {...}}``.

Exit 0 when no finding is an error, 5 (ExitCode.CHECK_ERRORS) when one is, 2 for invalid input
(a bad flag, an unknown client id, a draft with validation errors: those are printed on stderr
as ``composer send`` prints them, and the findings still are). ``--online`` asks each link's
server whether it answers (HEAD, then GET; bounded in time and count); nothing goes out
without it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import Any

from composer.app.context import Context
from composer.cli import connection, report
from composer.cli.check_report import as_json, print_grouped
from composer.cli.draft_args import (
    add_message_arguments,
    add_substitution_argument,
    draft_from_args,
    substitution_data,
)
from composer.core.build import OutgoingMessage, build_messages
from composer.core.checks import DEFAULT_CLIENTS, Severity
from composer.core.errors import ExitCode, InvalidInput
from composer.core.render import render
from composer.core.validate import validate

__all__ = ["add_parser", "run_check"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="check a message before sending it (relay advice, clients, accessibility, links, "
        "size, AMP)",
        description="Check the message the relay would receive, without sending it. Exit 0: no "
        "errors found; 5: a check found an error; 2: invalid input.",
    )
    p.set_defaults(handler=run_check)
    options = add_message_arguments(p)
    connection.add_connection_arguments(
        p.add_argument_group("the relay the advice is for (default: the default profile)")
    )
    add_substitution_argument(options)
    add_check_arguments(p.add_argument_group("checks"))
    p.add_argument("--json", action="store_true", help='print {"findings": [...], "summary"}')


def add_check_arguments(group: Any) -> None:
    group.add_argument(
        "--clients",
        metavar="IDS",
        help="target email clients, comma-separated caniemail ids (default: the profile's "
        "clients, else " + ",".join(DEFAULT_CLIENTS) + ")",
    )
    group.add_argument(
        "--online",
        action="store_true",
        help="also ask each link's server whether it answers (HEAD, then GET); off by default",
    )


def run_check(context: Context, args: argparse.Namespace) -> int:
    from composer.app.checks import parse_clients, profile_clients, run_for_send

    given = parse_clients(args.clients) if args.clients is not None else None
    connection.check_connection_args(args)
    draft, seeds = draft_from_args(args)
    profile = connection.profile_from_args(context, args)
    clients = given if given is not None else profile_clients(profile)
    connection.check_api_args(args, profile.api)
    subst = substitution_data(args)
    problems = validate(replace(draft, to=seeds) if seeds else draft)
    report.print_problems(problems)
    invalid = any(p.is_error for p in problems)
    rendered = render(draft)
    messages: list[OutgoingMessage] = []
    if not invalid:
        try:
            messages = build_messages(draft, seeds=seeds, rendered=rendered, problems=problems)
        except InvalidInput as exc:  # said on stderr; the checks still run on the body
            print(f"error: {exc}", file=sys.stderr)
            invalid = True
    findings = run_for_send(
        context,
        draft,
        profile,
        rendered=rendered,
        messages=messages,
        clients=clients,
        substitution_data=subst,
        online=args.online,
    )
    about = f"profile {profile.name}, {profile.preset.label} {profile.api.upper()}"
    if args.json:
        doc = as_json(
            findings,
            profile={"name": profile.name, "provider": profile.provider.value, "api": profile.api},
            clients=list(clients),
            online=args.online,
            problems=[
                {"field": p.field, "severity": str(p.severity), "message": p.message}
                for p in problems
            ],
        )
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        print_grouped(findings, about=about)
    if invalid:
        return ExitCode.INVALID
    if any(f.severity is Severity.ERROR for f in findings):
        return ExitCode.CHECK_ERRORS
    return ExitCode.OK
