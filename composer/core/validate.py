"""Validation: every problem names its field, in words a marketer understands.

``validate(draft)`` never raises for bad input; it returns Problems. Errors block sending,
warnings do not. Field keys are stable paths (``cc[2]``, ``metadata``, ``options.ip_pool``)
that the window maps to widgets; ``Problem.label`` is what a person reads.
"""

from __future__ import annotations

import json
from typing import Any

from composer.core.addresses import (
    AddressError,
    address_key,
    check_address,
    describe_bidi,
    describe_control_chars,
    has_control_chars,
)
from composer.core.attachfiles import AttachmentFileError, check_attachment_file
from composer.core.draft import Draft, Recipient
from composer.core.errors import HeaderError
from composer.core.headers import encode_text
from composer.core.msys import MAX_FOLDABLE_TOKEN, encode_json
from composer.core.problems import (
    MAX_CAMPAIGN_BYTES,
    MAX_HEADER_BYTES,
    MAX_LIST_RECIPIENTS,
    MAX_MESSAGE_BYTES,
    MAX_SUBJECT_OCTETS,
    MAX_TAGS,
    MESSAGE_LIMIT_SOURCE,
    METADATA_EVENT_BYTES,
    Problem,
    Severity,
)
from composer.core.related import check_inline_images

__all__ = [
    "MAX_CAMPAIGN_BYTES",
    "MAX_LIST_RECIPIENTS",
    "MAX_TAGS",
    "METADATA_EVENT_BYTES",
    "Problem",
    "Severity",
    "errors_of",
    "validate",
]


def errors_of(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


def _single_line(problems: list[Problem], field: str, value: str) -> None:
    if has_control_chars(value):
        problems.append(
            Problem(field, f"contains {describe_control_chars(value)}; it must be one line")
        )


def _bidi_warning(problems: list[Problem], field: str, value: str, what: str = "") -> None:
    """Display text may hold direction controls (right-to-left languages), but they can also
    make text read as something else: a warning, never a refusal."""
    bidi = describe_bidi(value)
    if bidi:
        problems.append(
            Problem(
                field,
                f"{what}contains {bidi}, which can make it read differently from what is sent",
                Severity.WARNING,
            )
        )


def _check_list(
    problems: list[Problem],
    field: str,
    recipients: list[Recipient],
    seen: dict[str, str],
) -> None:
    for i, r in enumerate(recipients):
        where = f"{field}[{i}]"
        try:
            addr = check_address(r)
        except AddressError as exc:
            problems.append(Problem(where, str(exc)))
            continue
        _bidi_warning(problems, where, r.name, "the name ")
        key = address_key(addr.addr_spec)
        if key in seen:
            other = seen[key]
            # "already in Cc #3" within one list, "also in To #1" across lists: always the
            # row it repeats, numbered as the lists number their rows.
            where_else = "already" if other.split("[")[0] == field else "also"
            problems.append(
                Problem(
                    where,
                    f"{addr.addr_spec} is {where_else} in {Problem(other, '').label}; the relay "
                    "sends each address one copy, so keep it in one place",
                )
            )
        else:
            seen[key] = where


def _long_strings(obj: Any, path: str) -> list[tuple[str, int]]:
    """Strings whose JSON form could not be folded into the header."""
    found = []
    if isinstance(obj, str):
        n = len(encode_json(obj))
        if n > MAX_FOLDABLE_TOKEN:
            found.append((path, n))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            found += _long_strings(k, path)
            found += _long_strings(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += _long_strings(v, f"{path}[{i}]")
    return found


def _strings(obj: Any, depth: int = 0) -> list[str]:
    """Every key and string value (bounded depth: the draft reader caps nesting anyway)."""
    if isinstance(obj, str):
        return [obj]
    if depth > 100:
        return []
    if isinstance(obj, dict):
        pairs = obj.items()
        return [s for k, v in pairs for s in (*_strings(k, depth + 1), *_strings(v, depth + 1))]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v, depth + 1)]
    return []


def _check_metadata(problems: list[Problem], metadata: Any) -> None:
    if not isinstance(metadata, dict):
        kind = {list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
            type(metadata), "a number"
        )
        problems.append(
            Problem("metadata", f'must be a JSON object like {{"key": "value"}}, not {kind}')
        )
        return
    try:
        size = len(encode_json(metadata).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        problems.append(Problem("metadata", f"cannot be written as JSON: {exc}"))
        return
    if size > METADATA_EVENT_BYTES:
        problems.append(
            Problem(
                "metadata",
                f"is {size} bytes; click and open events carry only the first "
                f"{METADATA_EVENT_BYTES} bytes",
                Severity.WARNING,
            )
        )
    for text in _strings(metadata):
        if describe_bidi(text):
            _bidi_warning(problems, "metadata", text, "a key or value ")
            break
    for path, n in _long_strings(metadata, "metadata"):
        problems.append(
            Problem(
                "metadata",
                f"{path} is {n} characters as JSON; one value can be at most "
                f"{MAX_FOLDABLE_TOKEN} to fit the X-MSYS-API header",
            )
        )


def _check_text_part(problems: list[Problem], field: str, text: str | None) -> None:
    if text is not None and "\x00" in text:
        problems.append(Problem(field, "contains a NUL character, which email cannot carry"))


def _check_subject_size(problems: list[Problem], subject: str) -> None:
    # Encoding never makes text shorter: a subject over the limit in characters is refused
    # without encoding megabytes of it.
    if len(subject) > MAX_SUBJECT_OCTETS:
        problems.append(
            Problem(
                "subject",
                f"is {len(subject)} characters; a subject can be at most {MAX_SUBJECT_OCTETS} "
                "octets once encoded for email",
            )
        )
        return
    try:
        tokens = encode_text(subject)
    except HeaderError:
        return  # a control character: reported by _single_line
    size = sum(len(t) for t in tokens) + max(len(tokens) - 1, 0)
    if size > MAX_SUBJECT_OCTETS:
        problems.append(
            Problem(
                "subject",
                f"is {size} octets once encoded for email (accented letters and emoji take "
                f"several); a subject can be at most {MAX_SUBJECT_OCTETS}",
            )
        )


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def _check_message_size(
    problems: list[Problem], draft: Draft, attachments: int, files_field: str = ""
) -> None:
    """A lower bound of the encoded size from file sizes (stat only, nothing read): the build
    checks the exact size again before anything is sent. ``files_field`` names the files when
    they are not the attachments (inline images that make most of it)."""
    text = sum(len(t) for t in (draft.body, draft.plain_text, draft.amp_html) if t)
    total = attachments + text
    if total > MAX_MESSAGE_BYTES:
        field = (files_field or "attachments") if attachments >= text else "body"
        problems.append(
            Problem(
                field,
                f"the message would be at least {_mb(total)} once encoded for email; the limit "
                f"is {_mb(MAX_MESSAGE_BYTES)} ({MESSAGE_LIMIT_SOURCE})",
            )
        )


def _json_size(value: Any) -> int:
    try:
        return len(encode_json(value))
    except (TypeError, ValueError, RecursionError):
        return 0  # reported as metadata that cannot be written as JSON


def _check_header_size(problems: list[Problem], draft: Draft) -> None:
    """The X-MSYS-API value and the To, measured part by part (the header is about their sum),
    charged to the field that makes most of it. The Subject has its own, smaller limit."""
    parts: dict[str, int] = {
        "campaign_id": _json_size(draft.campaign_id),
        "metadata": _json_size(draft.metadata),
        "tags": _json_size(draft.tags),
        "options.ip_pool": _json_size(draft.options.ip_pool),
    }
    for name in ("to", "cc", "bcc", "archive"):
        recipients: list[Recipient] = getattr(draft, name)
        parts[name] = _json_size([{"email": r.email, "name": r.name} for r in recipients])
    total = sum(parts.values())
    if total > MAX_HEADER_BYTES:
        field = max(parts, key=lambda k: parts[k])
        problems.append(
            Problem(
                field,
                f"makes the message headers about {total // 1000} KB; they can be at most "
                f"{MAX_HEADER_BYTES // 1000} KB (the relay option values go in one header)",
            )
        )


def validate(draft: Draft, *, check_files: bool = True) -> list[Problem]:
    """Every problem with the draft, errors first in field order, then warnings."""
    p: list[Problem] = []

    if not draft.from_addr.email.strip():
        p.append(Problem("from", "is required"))
    else:
        try:
            check_address(draft.from_addr)
        except AddressError as exc:
            p.append(Problem("from", str(exc)))
        else:
            _bidi_warning(p, "from", draft.from_addr.name, "the name ")

    if not draft.to:
        p.append(Problem("to", "add at least one recipient"))
    seen: dict[str, str] = {}
    for name in ("to", "cc", "bcc", "archive"):
        _check_list(p, name, getattr(draft, name), seen)
    listed = len(draft.cc) + len(draft.bcc) + len(draft.archive)
    if listed > MAX_LIST_RECIPIENTS:
        p.append(
            Problem(
                "cc",
                f"cc + bcc + archive hold {listed} addresses; the relay accepts at most "
                f"{MAX_LIST_RECIPIENTS} in total",
            )
        )

    _single_line(p, "subject", draft.subject)
    _check_subject_size(p, draft.subject)
    _bidi_warning(p, "subject", draft.subject)
    if not draft.subject.strip():
        p.append(Problem("subject", "is empty", Severity.WARNING))

    _check_text_part(p, "body", draft.body)
    if not draft.body.strip():
        p.append(Problem("body", "is empty", Severity.WARNING))
    _check_text_part(p, "plain_text", draft.plain_text)
    _check_text_part(p, "amp_html", draft.amp_html)
    if draft.amp_html is not None and draft.amp_html.strip():
        head = draft.amp_html[:2000].lower()
        if "amp4email" not in head and "⚡4email" not in head:
            p.append(
                Problem(
                    "amp_html",
                    "does not look like AMP for email (no <html ⚡4email> or <html amp4email>)",
                    Severity.WARNING,
                )
            )

    encoded = 0
    for i, a in enumerate(draft.attachments):
        where = f"attachments[{i}]"
        _single_line(p, where, a.display_name)
        bidi = describe_bidi(a.display_name)
        if bidi:
            p.append(Problem(where, f"the name contains {bidi}, which can disguise the file type"))
        if a.content_type is not None and (
            has_control_chars(a.content_type) or a.content_type.count("/") != 1
        ):
            p.append(Problem(where, f"content type {a.content_type!r} is not like type/subtype"))
        if check_files:
            try:
                # base64 without its line breaks: a lower bound whatever the line length
                encoded += 4 * -(-check_attachment_file(a.path)[1].st_size // 3)
            except AttachmentFileError as exc:
                p.append(Problem(where, str(exc)))
    inline = check_inline_images(p, draft, check_files=check_files)
    _check_message_size(p, draft, encoded + inline, "inline_images" if inline > encoded else "")

    campaign_bytes = len(draft.campaign_id.encode("utf-8"))
    if campaign_bytes > MAX_CAMPAIGN_BYTES:
        p.append(
            Problem(
                "campaign_id",
                f"is {campaign_bytes} bytes ({len(draft.campaign_id)} characters); the relay "
                f"allows {MAX_CAMPAIGN_BYTES} bytes (accented letters and emoji take 2–4 each)",
            )
        )
    _single_line(p, "campaign_id", draft.campaign_id)
    _bidi_warning(p, "campaign_id", draft.campaign_id)

    if len(draft.tags) > MAX_TAGS:
        p.append(Problem("tags", f"{len(draft.tags)} tags; the relay allows at most {MAX_TAGS}"))
    for i, tag in enumerate(draft.tags):
        if not tag.strip():
            p.append(Problem(f"tags[{i}]", "is empty"))
        _single_line(p, f"tags[{i}]", tag)
        _bidi_warning(p, f"tags[{i}]", tag)
        if len(encode_json(tag)) > MAX_FOLDABLE_TOKEN:
            p.append(Problem(f"tags[{i}]", "is too long to fit the X-MSYS-API header"))

    _check_metadata(p, draft.metadata)

    pool = draft.options.ip_pool
    _single_line(p, "options.ip_pool", pool)
    _bidi_warning(p, "options.ip_pool", pool)
    if pool.strip() != pool or " " in pool:
        p.append(Problem("options.ip_pool", "must not contain spaces"))
    if len(encode_json(pool)) > MAX_FOLDABLE_TOKEN:
        p.append(Problem("options.ip_pool", "is too long to fit the X-MSYS-API header"))

    _check_header_size(p, draft)

    errors = [x for x in p if x.is_error]
    warnings = [x for x in p if not x.is_error]
    return errors + warnings


def problems_as_json(problems: list[Problem]) -> str:
    return json.dumps(
        [{"field": x.field, "severity": x.severity.value, "message": x.message} for x in problems]
    )
