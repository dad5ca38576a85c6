"""``composer send``: the test-send tool.

Builds a Draft from flags (or a draft file, which flags then override: draft_args.py),
validates it, builds the exact bytes with the same functions the window uses, and writes,
prints or sends them (report.py prints). Nothing is written and nothing is sent until every
input has been read and validated.

The road is the profile's (``--api`` overrides it: connection.py): SMTP, or the REST
Transmissions API, which carries the same bytes and answers with a transmission id, shown and
recorded.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from composer.app.context import Context
from composer.cli import connection, report
from composer.cli.draft_args import (
    add_message_arguments,
    add_substitution_argument,
    draft_from_args,
    substitution_data,
)
from composer.cli.send_checks import add_strict_argument, send_checks
from composer.core.build import OutgoingMessage, build_messages
from composer.core.draft import Draft
from composer.core.errors import ComposerError, ExitCode, InvalidDraft
from composer.core.outcome import Status
from composer.core.render import render
from composer.core.validate import validate

__all__ = ["add_parser", "run_send"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "send",
        help="build (and send) a message from flags or a draft file",
        description="Build a message exactly as the relay will receive it. With --dry-run "
        "nothing is sent: the envelope and bytes are printed, or written with --eml.",
    )
    p.set_defaults(handler=run_send, json_failure_report=report.failure_report)
    options = add_message_arguments(p)
    connection.add_connection_arguments(
        p.add_argument_group("relay connection (default: the default profile; `local` at first)")
    )
    add_substitution_argument(options)
    out = p.add_argument_group("output")
    out.add_argument("--dry-run", action="store_true", help="build only; send nothing")
    out.add_argument(
        "--eml",
        metavar="PATH",
        help="write the exact DATA bytes: a file, or a folder for several messages",
    )
    out.add_argument("--json", action="store_true", help="print a JSON report")
    add_strict_argument(out)
    out.add_argument(
        "--new-copies",
        action="store_true",
        help="send even though copies of these messages are still in the outbox",
    )


def run_send(context: Context, args: argparse.Namespace) -> int:
    """With --json, a report on stdout whatever ends the command (issue 12): the messages when
    they were built, the problems when the draft was refused, the error when one stopped it."""
    messages: list[OutgoingMessage] = []
    try:
        # The flags first: the profile's From below already builds the profile from them.
        connection.check_connection_args(args)
        draft, seeds = draft_from_args(args, _template(context, args))
        draft = _profile_sender(context, args, draft)
        probe = replace(draft, to=seeds) if seeds else draft
        problems = validate(probe)
        report.print_problems(problems)
        if any(p.is_error for p in problems):
            if args.json:
                refused = InvalidDraft(problems)
                _print_json(report.failure_report([], refused, args.dry_run, problems))
            return ExitCode.INVALID
        rendered = render(draft)  # once: the build and the checks share it
        messages = build_messages(draft, seeds=seeds, problems=problems, rendered=rendered)
        targets = report.eml_targets(args.eml, messages) if args.eml else None
        subst = substitution_data(args)
        stopped = send_checks(context, args, draft, rendered, messages, subst)
        if stopped is not None:  # --strict: an error-level finding, nothing written or sent
            return stopped
        if not args.dry_run:
            return _send_for_real(context, args, draft, messages, targets, subst)
        connection.check_api_args(args, args.api or "smtp")
        bodies = report.transmissions(messages, subst) if args.api == "rest" else None
        if targets:
            report.write_eml(targets, messages)
        report.dry_run_output(messages, targets, bodies, args.json)
        return ExitCode.OK
    except ComposerError as exc:
        if args.json:
            problems = exc.problems if isinstance(exc, InvalidDraft) else []
            _print_json(report.failure_report(messages, exc, args.dry_run, problems))
        raise  # the one error line on stderr, and the exit code, as for every command


def _template(context: Context, args: argparse.Namespace) -> Draft | None:
    if args.template is None:
        return None
    from composer.app.templates import find_template, start_from

    return start_from(find_template(context, args.template))


def _profile_sender(context: Context, args: argparse.Namespace, draft: Draft) -> Draft:
    """An empty From takes the profile's saved sender (the profile the send would use; for a
    dry run, the one named, else the default)."""
    from composer.app.sender import from_is_empty, with_profile_from

    if not from_is_empty(draft):
        return draft  # the profiles file is not even read
    return with_profile_from(draft, connection.profile_from_args(context, args))


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, indent=2))


def _send_for_real(
    context: Context,
    args: argparse.Namespace,
    draft: Draft,
    messages: list[OutgoingMessage],
    targets: list[Path] | None,
    subst: dict[str, Any] | None,
) -> int:
    from composer.app.deliver import deliver

    connection.check_connection_args(args)
    profile = connection.profile_from_args(context, args)
    connection.check_api_args(args, profile.api)
    if profile.api == "rest":
        report.transmissions(messages, subst)  # exit 2 before anything goes out
    if targets:  # the exact bytes, written before they go out
        report.write_eml(targets, messages)

    def show(result: Any) -> None:
        if not args.json:
            report.print_result(result, len(messages))

    from composer.cli.interrupt import cancel_on_sigint

    with context.outbox() as outbox, cancel_on_sigint() as cancel:
        outbox.recover_on_start()  # a crashed run's items count in their honest states
        held = [] if args.new_copies else outbox.held_copies(messages)
        if held:  # a rerun after a crash: never a second copy unless asked (--new-copies)
            from composer.store.outbox_items import StillInOutbox

            refusal = StillInOutbox(held)
            print(f"error: {refusal}\n  {refusal.detail}", file=sys.stderr)
            if args.json:
                _print_json(report.failure_report(messages, refusal))
            return ExitCode.INVALID
        sent = deliver(
            context,
            outbox,
            profile,
            new=messages,
            new_copies=args.new_copies,
            subject=draft.subject,
            options=connection.send_options(args, profile),
            on_result=show,
            cancel=cancel,
            substitution_data=subst,
            **connection.session_args(args),
        )
    if args.json:
        _print_json(report.sent_report(sent, profile))
    else:
        print(
            f"{sent.count(Status.SENT)} sent, {sent.count(Status.FAILED)} failed, "
            f"{sent.count(Status.UNKNOWN)} unknown"
            + (f", {sent.count(Status.CANCELLED)} cancelled" if sent.cancelled else "")
            + f" via {profile.name} ({profile.api.upper()}) in {sent.elapsed:.2f} s",
            file=sys.stderr,
        )
        report.print_cancelled(sent)
        if profile.provider.value == "local":
            print(f"delivered into the sandbox: {context.sandbox}", file=sys.stderr)
    return int(sent.exit_code)
