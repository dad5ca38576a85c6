"""Validation: every problem names its field, in words a marketer understands.

``validate(draft)`` never raises for bad input; it returns Problems. Errors block sending,
warnings do not. Field keys are stable paths (``cc[2]``, ``metadata``, ``options.ip_pool``)
that the window maps to widgets; ``Problem.label`` is what a person reads.
"""

from __future__ import annotations

import json
import os
from typing import Any

from composer.core.addresses import (
    AddressError,
    address_key,
    check_address,
    describe_control_chars,
    has_control_chars,
)
from composer.core.draft import Draft, Recipient
from composer.core.msys import MAX_FOLDABLE_TOKEN, encode_json
from composer.core.problems import (
    MAX_CAMPAIGN_BYTES,
    MAX_LIST_RECIPIENTS,
    MAX_TAGS,
    METADATA_EVENT_BYTES,
    Problem,
    Severity,
)

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
        key = address_key(addr.addr_spec)
        if key in seen:
            other = seen[key]
            again = (
                "again" if other.split("[")[0] == field else f"also in {Problem(other, '').label}"
            )
            problems.append(
                Problem(
                    where,
                    f"{addr.addr_spec} is {again}; the relay sends each address one copy, "
                    "so keep it in one place",
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

    for i, a in enumerate(draft.attachments):
        where = f"attachments[{i}]"
        _single_line(p, where, a.display_name)
        if a.content_type is not None and (
            has_control_chars(a.content_type) or a.content_type.count("/") != 1
        ):
            p.append(Problem(where, f"content type {a.content_type!r} is not like type/subtype"))
        if check_files:
            if not os.path.isfile(a.path):
                p.append(Problem(where, f"file not found: {a.path}"))
            elif not os.access(a.path, os.R_OK):
                p.append(Problem(where, f"file cannot be read: {a.path}"))

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

    if len(draft.tags) > MAX_TAGS:
        p.append(Problem("tags", f"{len(draft.tags)} tags; the relay allows at most {MAX_TAGS}"))
    for i, tag in enumerate(draft.tags):
        if not tag.strip():
            p.append(Problem(f"tags[{i}]", "is empty"))
        _single_line(p, f"tags[{i}]", tag)
        if len(encode_json(tag)) > MAX_FOLDABLE_TOKEN:
            p.append(Problem(f"tags[{i}]", "is too long to fit the X-MSYS-API header"))

    _check_metadata(p, draft.metadata)

    pool = draft.options.ip_pool
    _single_line(p, "options.ip_pool", pool)
    if pool.strip() != pool or " " in pool:
        p.append(Problem("options.ip_pool", "must not contain spaces"))
    if len(encode_json(pool)) > MAX_FOLDABLE_TOKEN:
        p.append(Problem("options.ip_pool", "is too long to fit the X-MSYS-API header"))

    errors = [x for x in p if x.is_error]
    warnings = [x for x in p if not x.is_error]
    return errors + warnings


def problems_as_json(problems: list[Problem]) -> str:
    return json.dumps(
        [{"field": x.field, "severity": x.severity.value, "message": x.message} for x in problems]
    )
