"""What ``composer send`` and ``composer outbox resume`` print: the dry run (SMTP transcript,
REST request bodies, .eml files), one line per result, the summary, and the ``--json`` reports
(including the one printed when a failure stops the command).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from composer.core.build import OutgoingMessage
from composer.core.errors import ComposerError, ExitCode, UsageError
from composer.core.outcome import Status
from composer.core.validate import Problem

__all__ = [
    "dry_run_output",
    "eml_targets",
    "failure_report",
    "message_report",
    "print_problems",
    "print_result",
    "print_transmissions",
    "sent_report",
    "transmissions",
    "write_eml",
]


# --- the exact bytes, before anything is sent --------------------------------------------------


def eml_targets(path: str, messages: list[OutgoingMessage]) -> list[Path]:
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


def write_eml(targets: list[Path], messages: list[OutgoingMessage]) -> None:
    from composer.app.eml_files import write_eml as write_one  # the window's Export too

    for target, message in zip(targets, messages, strict=True):
        try:
            write_one(target, message)
        except OSError as exc:
            raise UsageError(f"--eml: cannot write {target}: {exc.strerror}") from None


def transmissions(
    messages: list[OutgoingMessage], subst: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Every REST request body, built before anything is sent: a draft REST cannot carry
    (archive recipients) fails here with exit 2, not halfway through a batch."""
    from composer.transport.rest.payload import transmission

    return [transmission(m, substitution_data=subst) for m in messages]


def print_problems(problems: list[Problem]) -> None:
    for p in problems:
        print(f"{p.severity.value}: {p}", file=sys.stderr)


# --- the dry run -------------------------------------------------------------------------------


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


def print_transmissions(bodies: list[dict[str, Any]]) -> None:
    """The dry run of a REST send: each request body, as it would be POSTed (no key)."""
    for i, body in enumerate(bodies):
        if i:
            sys.stdout.write("\n")
        sys.stdout.write("POST /transmissions\n" + json.dumps(body, indent=2) + "\n")
    sys.stdout.flush()


def _print_transcript(messages: list[OutgoingMessage]) -> None:
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


def dry_run_output(
    messages: list[OutgoingMessage],
    targets: list[Path] | None,
    bodies: list[dict[str, Any]] | None,
    as_json: bool,
) -> None:
    """The JSON report, else the REST bodies or the SMTP transcript, else where the .eml went."""
    if as_json:
        report = [
            message_report(m, t)
            for m, t in zip(messages, targets or [None] * len(messages), strict=True)
        ]
        for item, body in zip(report, bodies or [], strict=False):
            item["transmission"] = body
        print(json.dumps({"dry_run": True, "messages": report}, indent=2))
    elif bodies is not None and not targets:
        print_transmissions(bodies)
    elif not targets:
        _print_transcript(messages)
    else:
        where = targets[0] if len(targets) == 1 else targets[0].parent
        print(
            f"dry run: {len(messages)} message(s) written to {where}; nothing sent", file=sys.stderr
        )


# --- a real send -------------------------------------------------------------------------------


def print_result(result: Any, total: int) -> None:
    """One line per message as its result comes in: stdout when sent, stderr otherwise."""
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
    elif result.status is Status.CANCELLED:
        line = f"{prefix} CANCELLED: not sent, kept in the outbox"
    else:
        line = f"{prefix} FAILED: {result.error}"
    print(line, file=sys.stderr if result.status is not Status.SENT else sys.stdout)


def print_cancelled(report: Any) -> None:
    """After Ctrl+C: where the cancelled messages are, and the two ways on."""
    from composer.app.deliver import cancelled_items
    from composer.store.outbox_items import id_ranges

    ids = cancelled_items(report)
    if ids:
        print(
            f"{len(ids)} cancelled message(s) kept in the outbox (items {id_ranges(ids)}): "
            f"`composer outbox resume` sends them, `composer outbox discard {id_ranges(ids)}` "
            "forgets them",
            file=sys.stderr,
        )


def sent_report(report: Any, profile: Any) -> dict[str, Any]:
    return {
        "dry_run": False,
        "profile": profile.name,
        "api": profile.api,
        "messages": [r.as_json() for r in report.results],
        "sent": report.count(Status.SENT),
        "failed": report.count(Status.FAILED),
        "unknown": report.count(Status.UNKNOWN),
        "cancelled": report.count(Status.CANCELLED),
        "elapsed": round(report.elapsed, 4),
        "connections": report.connections,
    }


def failure_report(
    messages: list[OutgoingMessage],
    exc: ComposerError,
    dry_run: bool = False,
    problems: Sequence[Problem] = (),
) -> dict[str, Any]:
    """The --json report when an error stops the command (issue 12: a failure that ended the
    command printed no report, and scripts read nothing). ``messages`` is empty when the
    command stopped before building them; ``problems`` lists a refused draft's, by field."""
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
        "dry_run": dry_run,
        "error": str(exc),
        "exit_code": code,
        "problems": [
            {"field": p.field, "severity": p.severity.value, "message": p.message}
            for p in problems
        ],
        "messages": items,
        "sent": 0,
        "failed": len(messages) if before else 0,
        "unknown": 0 if before else len(messages),
    }
