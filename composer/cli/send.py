"""``composer send``: the test-send tool.

Builds a Draft from flags (or a draft file, which flags then override), validates it, builds
the exact bytes with the same functions the window uses, and writes, prints or sends them.
Nothing is written and nothing is sent until every input has been read and validated.

The road is the profile's (``--api`` overrides it): SMTP, or the REST Transmissions API, which
carries the same bytes (sendapi.py) and answers with a transmission id, shown and recorded.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from composer.cli import args as cli_args
from composer.cli import sendapi
from composer.core import jsonin
from composer.core.attachfiles import outside_places
from composer.core.build import OutgoingMessage, build_messages
from composer.core.draft import (
    Attachment,
    BodyFormat,
    Draft,
    Recipient,
    loads_draft,
    read_address_lines,
    split_recipients,
)
from composer.core.errors import ComposerError, DraftFormatError, ExitCode, InvalidDraft, UsageError
from composer.core.jsonin import shown
from composer.core.outcome import Status
from composer.core.validate import Problem, validate

__all__ = ["add_parser", "draft_from_args"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "send",
        help="build (and send) a message from flags or a draft file",
        description="Build a message exactly as the relay will receive it. With --dry-run "
        "nothing is sent: the envelope and bytes are printed, or written with --eml.",
    )
    p.set_defaults(handler=run_send)
    g = p.add_argument_group("message")
    g.add_argument("--draft", metavar="FILE", help="start from a saved draft (flags override)")
    g.add_argument("--from", dest="from_", metavar="ADDR", help='sender, "Name <addr>" allowed')
    rcpt = g.add_mutually_exclusive_group()
    rcpt.add_argument(
        "--to", action="append", metavar="ADDR", default=None, help="recipient (repeat for several)"
    )
    rcpt.add_argument(
        "--seed-list",
        metavar="FILE",
        help="one message per address in FILE, each with that address as To",
    )
    g.add_argument("--subject", metavar="TEXT")
    body = g.add_mutually_exclusive_group()
    body.add_argument("--html", metavar="FILE", help="HTML body ('-' reads standard input)")
    body.add_argument("--markdown", metavar="FILE", help="Markdown body")
    body.add_argument("--text", metavar="FILE", help="plain-text body (no HTML part)")
    g.add_argument("--amp", metavar="FILE", help="AMPHTML part")
    g.add_argument("--plain-text", metavar="FILE", help="plain-text part (default: generated)")
    g.add_argument("--attach", action="append", metavar="FILE", default=None)
    g.add_argument(
        "--allow-attachments-anywhere",
        action="store_true",
        help="let --draft attach files outside its own folder and your home folder",
    )

    r = p.add_argument_group("cc, bcc and archive (sent in X-MSYS-API, never in the envelope)")
    for name in ("cc", "bcc", "archive"):
        r.add_argument(f"--{name}", action="append", metavar="ADDR", default=None)
        r.add_argument(f"--{name}-file", metavar="FILE", help="one address per line")

    o = p.add_argument_group("relay options (X-MSYS-API)")
    o.add_argument("--campaign", metavar="ID", help="campaign_id (at most 64 bytes)")
    o.add_argument("--tag", action="append", metavar="TAG", default=None, help="at most 10")
    o.add_argument(
        "--meta",
        action="append",
        metavar="KEY=VALUE",
        default=None,
        help="metadata entry; VALUE is JSON when it parses (true, 3, {...})",
    )
    o.add_argument("--metadata", metavar="JSON", help="the whole metadata object")
    o.add_argument("--open-tracking", action=argparse.BooleanOptionalAction, default=None)
    o.add_argument("--click-tracking", action=argparse.BooleanOptionalAction, default=None)
    o.add_argument("--transactional", action="store_true", default=None)
    o.add_argument("--sandbox", action="store_true", default=None)
    o.add_argument("--skip-suppression", action="store_true", default=None)
    o.add_argument("--ip-pool", metavar="NAME", help="dedicated IP pool, or sp_shared")
    o.add_argument(
        "--inline-css", action="store_true", default=None, help="ask the relay to inline CSS"
    )
    o.add_argument(
        "--inline-locally",
        action="store_true",
        default=None,
        help="inline CSS here before sending (with --inline-engine)",
    )
    o.add_argument(
        "--inline-engine",
        choices=["premailer", "css-inline"],
        default=None,
        help="the CSS inliner for --inline-locally (default premailer; css-inline is faster)",
    )

    n = p.add_argument_group("relay connection (default: the default profile; `local` at first)")
    n.add_argument("--profile", metavar="NAME", help="a saved profile (composer profile list)")
    n.add_argument(
        "--provider",
        metavar="PRESET",
        choices=["sparkpost", "sparkpost-eu", "bird", "bird-eu", "custom", "local"],
    )
    n.add_argument("--host", metavar="HOST")
    n.add_argument("--port", metavar="N", type=int)
    add_fallback_port_argument(n)
    n.add_argument("--subaccount", metavar="ID", help="SparkPost subaccount id")
    n.add_argument("--workspace", metavar="ID", help="Bird workspace id")
    n.add_argument("--ca-file", metavar="FILE", help="trust this CA too (a private relay)")
    n.add_argument("--no-tls", action="store_true", help="plain SMTP: loopback hosts only")
    n.add_argument(
        "--retries",
        metavar="N",
        type=int,
        default=3,
        help="retries of a transient failure (default 3)",
    )
    n.add_argument(
        "--retry-delay",
        metavar="SECONDS",
        type=float,
        default=1.0,
        help="first wait before a retry; doubles each time (default 1)",
    )
    n.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=60.0,
        help="per SMTP command, or to connect and send over REST (default 60, the relay's minimum)",
    )
    n.add_argument(
        "--final-timeout",
        metavar="SECONDS",
        type=float,
        default=600.0,
        help="for the reply after the message, or the API's answer (default 600)",
    )

    sendapi.add_api_arguments(o, n)

    out = p.add_argument_group("output")
    out.add_argument("--dry-run", action="store_true", help="build only; send nothing")
    out.add_argument(
        "--eml",
        metavar="PATH",
        help="write the exact DATA bytes: a file, or a folder for several messages",
    )
    out.add_argument("--json", action="store_true", help="print a JSON report")
    out.add_argument(
        "--new-copies",
        action="store_true",
        help="send even though copies of these messages are still in the outbox",
    )


def add_fallback_port_argument(group: Any) -> None:
    group.add_argument(
        "--fallback-port",
        metavar="N",
        type=int,
        help="try port N when the first cannot be reached (TLS only). Without it a second "
        "port (2525) is tried only for the SparkPost / Bird hosts when no --port is given",
    )


# --- reading inputs ---------------------------------------------------------------------------


def _read_text(flag: str, path: str) -> str:
    return cli_args.read_text(flag, path)  # regular files (or '-'), size-capped, strict UTF-8


def _attachment(path: str) -> Attachment:
    """A path may be any bytes, but the file's own name is what recipients see (a MIME
    parameter): that part must be text."""
    try:
        jsonin.check_text(Path(path).name)
    except jsonin.InputError:
        raise UsageError(
            f"--attach: {shown(path)}: the file's name is not valid UTF-8 and recipients would "
            "see it as the attachment's name; rename the file"
        ) from None
    return Attachment(path=str(Path(path).resolve()))


def _load_draft(path: str) -> Draft:
    """The --draft file, every error naming the flag, the file and the field."""
    try:
        return loads_draft(cli_args.read_text("--draft", path))
    except DraftFormatError as exc:
        raise UsageError(f"--draft: {shown(path)}: {exc}") from None


def _recipients(values: list[str] | None) -> list[Recipient]:
    out: list[Recipient] = []
    for v in values or []:
        out += split_recipients(v)
    return out


def _parse_meta(items: list[str]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--meta: {item!r} must look like KEY=VALUE")
        flag = f"--meta {shown(key.strip(), 40)}"
        meta[key.strip()] = cli_args.read_json(flag, raw, lenient=True)
    return meta


def _check_draft_attachments(draft: Draft, draft_file: str) -> None:
    """A draft file from elsewhere must not mail out files the person never chose."""
    outside = outside_places([a.path for a in draft.attachments], draft_file)
    if outside:
        i = outside[0]
        raise UsageError(
            f"attachments[{i}].path: {draft.attachments[i].path} is outside the draft's folder "
            "and your home folder; check it, then use --allow-attachments-anywhere"
        )


def draft_from_args(args: argparse.Namespace) -> tuple[Draft, list[Recipient] | None]:
    """The draft the flags describe, and the seed list if one was given."""
    if args.draft:
        draft = _load_draft(args.draft)
        if args.attach is None and not args.allow_attachments_anywhere:
            _check_draft_attachments(draft, args.draft)
    else:
        if not (args.html or args.markdown or args.text):
            raise UsageError("a body is required: --html, --markdown or --text (or --draft)")
        if args.subject is None:
            raise UsageError("--subject is required (or --draft)")
        draft = Draft()

    changes: dict[str, Any] = {}
    if args.from_ is not None:
        found = split_recipients(args.from_)
        if len(found) > 1:
            raise UsageError("--from: give one sender address")
        changes["from_addr"] = found[0] if found else Recipient("")
    if args.to is not None:
        changes["to"] = _recipients(args.to)
    if args.subject is not None:
        changes["subject"] = args.subject
    for flag, fmt in (
        ("html", BodyFormat.HTML),
        ("markdown", BodyFormat.MARKDOWN),
        ("text", BodyFormat.TEXT),
    ):
        path = getattr(args, flag)
        if path is not None:
            changes["body"] = _read_text(f"--{flag}", path)
            changes["body_format"] = fmt
    if args.amp is not None:
        changes["amp_html"] = _read_text("--amp", args.amp)
    if args.plain_text is not None:
        changes["plain_text"] = _read_text("--plain-text", args.plain_text)
    if args.attach is not None:
        changes["attachments"] = [_attachment(a) for a in args.attach]
    for name in ("cc", "bcc", "archive"):
        flagged = getattr(args, name)
        listed = getattr(args, f"{name}_file")
        if flagged is not None or listed is not None:
            recips = _recipients(flagged)
            if listed is not None:
                recips += read_address_lines(_read_text(f"--{name}-file", listed))
            changes[name] = recips
    if args.campaign is not None:
        changes["campaign_id"] = args.campaign
    if args.tag is not None:
        changes["tags"] = list(args.tag)
    if args.metadata is not None or args.meta is not None:
        metadata: Any = draft.metadata if isinstance(draft.metadata, dict) else {}
        if args.metadata is not None:
            metadata = cli_args.read_json("--metadata", args.metadata)
        if args.meta:
            if not isinstance(metadata, dict):
                raise UsageError("--meta: --metadata must be a JSON object to add keys to it")
            metadata = {**metadata, **_parse_meta(args.meta)}
        changes["metadata"] = metadata
    if args.inline_locally is not None:
        changes["inline_locally"] = True
    if args.inline_engine is not None:
        changes["inline_engine"] = args.inline_engine

    opt: dict[str, Any] = {}
    for key in (
        "open_tracking",
        "click_tracking",
        "transactional",
        "sandbox",
        "skip_suppression",
        "inline_css",
    ):
        if getattr(args, key) is not None:
            opt[key] = getattr(args, key)
    if args.ip_pool is not None:
        opt["ip_pool"] = args.ip_pool
    if opt:
        changes["options"] = replace(draft.options, **opt)

    seeds = None
    if args.seed_list is not None:
        seeds = read_address_lines(_read_text("--seed-list", args.seed_list))
        if not seeds:
            raise UsageError(f"--seed-list: {args.seed_list} holds no addresses")
        changes["to"] = []
    return replace(draft, **changes), seeds


# --- output -----------------------------------------------------------------------------------


def _eml_targets(path: str, messages: list[OutgoingMessage]) -> list[Path]:
    target = Path(path)
    if len(messages) == 1 and not target.is_dir():
        return [target]
    if target.exists() and not target.is_dir():
        raise UsageError(f"--eml: {path} is a file; several messages need a folder")
    names = []
    for i, m in enumerate(messages, 1):
        who = m.envelope.rcpt_to[0] if m.envelope.rcpt_to else "message"
        safe = "".join(c if c.isalnum() or c in "@.-_+" else "_" for c in who)
        names.append(target / f"{i:04d}-{safe}.eml")
    return names


def _write_eml(targets: list[Path], messages: list[OutgoingMessage]) -> None:
    from composer.store.atomic import atomic_write_bytes

    for target, message in zip(targets, messages, strict=True):
        try:
            atomic_write_bytes(target, message.data)
        except OSError as exc:
            raise UsageError(f"--eml: cannot write {target}: {exc.strerror}") from None


def _report_problems(problems: list[Problem]) -> None:
    for p in problems:
        print(f"{p.severity.value}: {p}", file=sys.stderr)


def message_report(m: OutgoingMessage, eml: Path | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "mail_from": m.envelope.mail_from,
        "rcpt_to": list(m.envelope.rcpt_to),
        "size": m.size,
        "message_id": m.message_id,
        "x_msys_api": m.msys,
    }
    if eml is not None:
        item["eml"] = str(eml)
    return item


def run_send(args: argparse.Namespace) -> int:
    draft, seeds = draft_from_args(args)
    probe = replace(draft, to=seeds) if seeds else draft
    problems = validate(probe)
    _report_problems(problems)
    if any(p.is_error for p in problems):
        return ExitCode.INVALID
    try:
        messages = build_messages(draft, seeds=seeds)
    except InvalidDraft as exc:  # validation above should have caught it; stay safe
        _report_problems(exc.problems)
        return ExitCode.INVALID
    targets = _eml_targets(args.eml, messages) if args.eml else None
    subst = sendapi.substitution_data(args)

    if not args.dry_run:
        return _send_reporting_failures(args, draft, messages, targets, subst)

    sendapi.check_api_args(args, args.api or "smtp")
    bodies = sendapi.transmissions(messages, subst) if args.api == "rest" else None
    if targets:
        _write_eml(targets, messages)
    if args.json:
        report = [
            message_report(m, t)
            for m, t in zip(messages, targets or [None] * len(messages), strict=True)
        ]
        for item, body in zip(report, bodies or [], strict=False):
            item["transmission"] = body
        print(json.dumps({"dry_run": True, "messages": report}, indent=2))
    elif bodies is not None and not targets:
        sendapi.print_transmissions(bodies)
    elif not targets:
        out = sys.stdout.buffer
        for i, m in enumerate(messages):
            if i:
                out.write(b"\n")
            out.write(f"MAIL FROM:<{m.envelope.mail_from}>\n".encode("ascii"))
            for rcpt in m.envelope.rcpt_to:
                out.write(f"RCPT TO:<{rcpt}>\n".encode("ascii"))
            out.write(b"DATA\n")
            out.write(m.data.replace(b"\r\n", b"\n"))
            out.write(b".\n")
        out.flush()
    else:
        where = targets[0] if len(targets) == 1 else targets[0].parent
        print(
            f"dry run: {len(messages)} message(s) written to {where}; nothing sent", file=sys.stderr
        )
    return ExitCode.OK


def _check_network_args(args: argparse.Namespace) -> None:
    if args.retries < 0 or args.retries > 20:
        raise UsageError("--retries: give a number from 0 to 20")
    if args.retry_delay < 0:
        raise UsageError("--retry-delay: must not be negative")
    if args.timeout <= 0 or args.final_timeout <= 0:
        raise UsageError("--timeout / --final-timeout: must be more than 0 seconds")
    if args.ca_file is not None and not Path(args.ca_file).is_file():
        raise UsageError(f"--ca-file: file not found: {args.ca_file}")
    if args.port is not None and not 1 <= args.port <= 65535:
        raise UsageError("--port: give a number from 1 to 65535")
    fallback = getattr(args, "fallback_port", None)
    if fallback is not None and not 1 <= fallback <= 65535:
        raise UsageError("--fallback-port: give a number from 1 to 65535")
    if fallback is not None and args.no_tls:
        raise UsageError(
            "--fallback-port: not with --no-tls (the key would go in the clear to a second port)"
        )


def _send_reporting_failures(
    args: argparse.Namespace,
    draft: Draft,
    messages: list[OutgoingMessage],
    targets: list[Path] | None,
    subst: dict[str, Any] | None,
) -> int:
    """_send_for_real, and with --json a report on stdout whatever stops it (issue 12: a
    failure that ended the command printed no report, and scripts read nothing)."""

    try:
        return _send_for_real(args, draft, messages, targets, subst)
    except ComposerError as exc:
        if args.json:
            print(json.dumps(_failure_report(messages, exc), indent=2))
        raise  # the one error line on stderr, and the exit code, as for every command


def _failure_report(messages: list[OutgoingMessage], exc: ComposerError) -> dict[str, Any]:
    # Exit 2 means "nothing was written or sent" (the CLI's contract). Anything else may have
    # stopped a batch half-way, so it is not called "not sent": `composer outbox` knows.
    code = exc.exit_code
    before = code == ExitCode.INVALID
    status = "not sent" if before else Status.UNKNOWN
    items = []
    for i, m in enumerate(messages):
        item = message_report(m, None)
        del item["x_msys_api"]
        items.append({"index": i, "status": status, **item})
    return {
        "dry_run": False,
        "error": str(exc),
        "exit_code": code,
        "messages": items,
        "sent": 0,
        "failed": len(messages) if before else 0,
        "unknown": 0 if before else len(messages),
    }


def _send_for_real(
    args: argparse.Namespace,
    draft: Draft,
    messages: list[OutgoingMessage],
    targets: list[Path] | None,
    subst: dict[str, Any] | None,
) -> int:
    from composer.transport.batch import SendOptions

    _check_network_args(args)
    profile = profile_from_args(args)
    sendapi.check_api_args(args, profile.api)
    if profile.api == "rest":
        sendapi.transmissions(messages, subst)  # exit 2 before anything goes out
    if targets:  # the exact bytes, written before they go out
        _write_eml(targets, messages)
    from composer.store.outbox import Outbox
    from composer.transport.deliver import deliver

    def show(result: Any) -> None:
        if not args.json:
            _print_result(result, len(messages))

    with Outbox() as outbox:
        outbox.recover_on_start()  # a crashed run's items count in their honest states
        held = [] if args.new_copies else outbox.held_copies(messages)
        if held:  # a rerun after a crash: never a second copy unless asked (--new-copies)
            from composer.store.outbox import StillInOutbox

            refusal = StillInOutbox(held)
            print(f"error: {refusal}\n  {refusal.detail}", file=sys.stderr)
            return ExitCode.INVALID
        report = deliver(
            outbox,
            profile,
            new=messages,
            new_copies=args.new_copies,
            subject=draft.subject,
            options=SendOptions(retries=args.retries, retry_delay=args.retry_delay),
            on_result=show,
            ca_file=args.ca_file,
            timeout=args.timeout,
            final_timeout=args.final_timeout,
            substitution_data=subst,
            announce=announce,
        )
    if args.json:
        print(
            json.dumps(
                {
                    "dry_run": False,
                    "profile": profile.name,
                    "api": profile.api,
                    "messages": [r.as_json() for r in report.results],
                    "sent": report.count(Status.SENT),
                    "failed": report.count(Status.FAILED),
                    "unknown": report.count(Status.UNKNOWN),
                    "elapsed": round(report.elapsed, 4),
                    "connections": report.connections,
                },
                indent=2,
            )
        )
    else:
        print(
            f"{report.count(Status.SENT)} sent, {report.count(Status.FAILED)} failed, "
            f"{report.count(Status.UNKNOWN)} unknown via {profile.name} ({profile.api.upper()}) "
            f"in {report.elapsed:.2f} s",
            file=sys.stderr,
        )
        if profile.provider.value == "local":
            from composer.store.paths import app_paths

            print(f"delivered into the sandbox: {app_paths().sandbox}", file=sys.stderr)
    return report.exit_code


def profile_from_args(args: argparse.Namespace) -> Any:
    """The profile the connection flags describe (shared by send and outbox resume)."""
    from composer.transport.connect import choose_profile

    return choose_profile(
        args.profile,
        provider=args.provider,
        host=args.host,
        port=args.port,
        fallback_port=getattr(args, "fallback_port", None),
        subaccount=args.subaccount,
        workspace=args.workspace,
        no_tls=args.no_tls,
        api=args.api,
        api_url=args.api_url,
    )


def announce(line: str) -> None:
    """Where the connection went (host:port), one line on stderr."""
    print(line, file=sys.stderr)


def _print_result(result: Any, total: int) -> None:
    who = ", ".join(result.rcpt_to)
    prefix = f"[{result.index + 1}/{total}] {who}:"
    if result.status is Status.SENT:
        line = f"{prefix} sent ({result.code} {result.reply})".rstrip()
        if result.transmission_id:
            line += f"; transmission id {result.transmission_id}"
        if result.refused:
            line += f"; {result.error}"
    elif result.status is Status.UNKNOWN:
        line = f"{prefix} UNKNOWN: {result.error}"
    else:
        line = f"{prefix} FAILED: {result.error}"
    print(line, file=sys.stderr if result.status is not Status.SENT else sys.stdout)
