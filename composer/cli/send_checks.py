"""``composer send`` runs the pre-send checks once per send (not per message: a 500-address
seed list is checked once, on the render and build it already made) and says each error-level
finding on stderr as a warning. It never stops a send, unless ``--strict``: then an error-level
finding is an error and the command exits 5 before anything is written or sent.

The checks are advice: one that cannot run (a profile that cannot be read in a dry run, a bug
in a check) never stops a send that would otherwise go."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import Any

from composer.app.context import Context
from composer.cli.check_report import as_json, warn_errors
from composer.core.build import OutgoingMessage
from composer.core.checks import Finding, Severity
from composer.core.draft import Draft
from composer.core.errors import ComposerError, ExitCode, UsageError
from composer.core.render import Rendered

__all__ = ["add_strict_argument", "send_checks"]

log = logging.getLogger(__name__)


def add_strict_argument(group: Any) -> None:
    """--strict, and --clients as ``composer check`` takes it."""
    group.add_argument(
        "--strict",
        action="store_true",
        help="stop (exit 5, nothing sent) when a pre-send check finds an error; without it "
        "they are printed as warnings (all findings: composer check)",
    )
    group.add_argument(
        "--clients",
        metavar="IDS",
        help="target email clients of the checks, comma-separated caniemail ids (default: "
        "the profile's clients, else the default set; see composer check --help)",
    )


def send_checks(
    context: Context,
    args: argparse.Namespace,
    draft: Draft,
    rendered: Rendered,
    messages: Sequence[OutgoingMessage],
    substitution_data: dict[str, Any] | None,
) -> int | None:
    """Run the checks and say their errors; ExitCode.CHECK_ERRORS when ``--strict`` stops the
    send, else None."""
    from composer.app.checks import parse_clients, run_for_send
    from composer.cli import connection

    given = getattr(args, "clients", None)
    clients = parse_clients(given) if given is not None else None  # bad input: exit 2
    try:
        profile = connection.profile_from_args(context, args)
    except ComposerError:
        if not args.dry_run:
            raise  # the send itself needs it: the usual error line, exit 2
        return None  # a dry run needs no profile; without one there is no relay to advise on
    try:
        findings = run_for_send(
            context,
            draft,
            profile,
            rendered=rendered,
            messages=messages,
            clients=clients,
            substitution_data=substitution_data,
        )
    except Exception:  # advice must never stop a send; the log says what broke
        log.exception("the pre-send checks could not run")
        print("warning: the pre-send checks could not run (details in the log)", file=sys.stderr)
        return None
    strict = bool(getattr(args, "strict", False))
    warn_errors(findings, strict=strict)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if not (strict and errors):
        return None
    if args.json:  # send --json reports whatever ends the command (issue 12)
        _print_stopped(args, list(messages), errors)
    return ExitCode.CHECK_ERRORS


def _print_stopped(
    args: argparse.Namespace, messages: list[OutgoingMessage], errors: list[Finding]
) -> None:
    """The failure report ``send --json`` prints, for a send --strict stopped: every message
    "not sent", exit_code 5, and the error-level findings."""
    from composer.cli import report

    why = UsageError(f"--strict: {len(errors)} check error(s); nothing was written or sent")
    doc = report.failure_report(messages, why, args.dry_run)  # "not sent", as exit 2 means
    doc["exit_code"] = int(ExitCode.CHECK_ERRORS)
    doc["checks"] = as_json(errors)
    print(json.dumps(doc, indent=2))
