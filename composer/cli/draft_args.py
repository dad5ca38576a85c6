"""From flags (or a draft file, which flags then override) to a Draft: the message flags of
``composer send``, declared and read here, every error naming its flag, file or field.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from composer.cli import args as cli_args
from composer.core import jsonin
from composer.core.attachfiles import outside_places
from composer.core.draft import (
    Attachment,
    BodyFormat,
    Draft,
    InlineImage,
    Recipient,
    loads_draft,
    read_address_lines,
    split_recipients,
)
from composer.core.errors import DraftFormatError, UsageError
from composer.core.jsonin import shown
from composer.core.related import cid_for, cid_problem

__all__ = [
    "add_message_arguments",
    "add_substitution_argument",
    "draft_from_args",
    "substitution_data",
]


def add_message_arguments(p: Any) -> Any:
    """The message, its recipients and the relay options (X-MSYS-API, or REST's JSON); returns
    the relay options' group."""
    g = p.add_argument_group("message")
    start = g.add_mutually_exclusive_group()  # both: exit 2 naming --draft and --template
    start.add_argument("--draft", metavar="FILE", help="start from a saved draft (flags override)")
    start.add_argument(
        "--template", metavar="NAME", help="start from a template (flags override; see templates)"
    )
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
        "--inline",
        action="append",
        metavar="FILE[=CID]",
        default=None,
        help='inline image (repeat): the HTML shows it with <img src="cid:CID">; CID defaults '
        "to the file's name",
    )
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
    return o


def add_substitution_argument(options: Any) -> None:
    """Declared after the connection flags, so that `composer send --help` keeps its order."""
    options.add_argument(
        "--substitution-data",
        metavar="JSON",
        help="REST only: a JSON object for {{...}} substitution in headers and body parts",
    )


def substitution_data(args: argparse.Namespace) -> dict[str, Any] | None:
    if args.substitution_data is None:
        return None
    value = cli_args.read_json("--substitution-data", args.substitution_data)  # strict JSON
    if not isinstance(value, dict):
        raise UsageError('--substitution-data: must be a JSON object, like {"name": "Ann"}')
    return value


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


def _exists(path: str) -> bool:
    """Path.exists, False where it would raise (a name too long for the system: ENAMETOOLONG);
    the image's own checks then name the problem."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def inline_images_from_flags(values: list[str]) -> list[InlineImage]:
    """``--inline FILE`` or ``--inline FILE=CID``. A value that names an existing file is that
    file (its name may hold ``=``); otherwise the part after the last ``=`` is the cid."""
    out: list[InlineImage] = []
    for value in values:
        path, cid = value, ""
        if not _exists(value) and "=" in value:
            path, _, cid = value.rpartition("=")
        if not path:
            raise UsageError(f"--inline: {shown(value)}: give a file, like logo.png=logo")
        if cid:
            why = cid_problem(cid)
            if why:
                raise UsageError(f"--inline: {shown(value)}: {why}")
        else:
            cid = cid_for(path, {i.cid for i in out})
        out.append(InlineImage(path=str(Path(path).resolve()), cid=cid))
    return out


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


def _check_draft_attachments(draft: Draft, draft_file: str, *, inline: bool = False) -> None:
    """A draft file from elsewhere must not mail out files the person never chose."""
    key = "inline_images" if inline else "attachments"
    paths = [a.path for a in (draft.inline_images if inline else draft.attachments)]
    outside = outside_places(paths, draft_file)
    if outside:
        i = outside[0]
        raise UsageError(
            f"{key}[{i}].path: {paths[i]} is outside the draft's folder "
            "and your home folder (or hidden in it, like ~/.ssh); check it, then use "
            "--allow-attachments-anywhere"
        )


def draft_from_args(
    args: argparse.Namespace, template: Draft | None = None
) -> tuple[Draft, list[Recipient] | None]:
    """The draft the flags describe, and the seed list if one was given. ``template``: the
    draft of ``--template`` (found by the caller, who has the Context), which flags override."""
    if template is not None:
        draft = template
    elif args.draft:
        draft = _load_draft(args.draft)
        if args.attach is None and not args.allow_attachments_anywhere:
            _check_draft_attachments(draft, args.draft)
        if args.inline is None and not args.allow_attachments_anywhere:
            _check_draft_attachments(draft, args.draft, inline=True)
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
    if args.inline is not None:
        changes["inline_images"] = inline_images_from_flags(args.inline)
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
