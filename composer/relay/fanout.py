"""The SMTP API's fan-out, as pure functions: one incoming message -> one copy per recipient.

What the relay documents (seeds/000 and 001, "Sending Messages with cc, bcc, and archive
Recipients"): a copy for each RCPT TO and each cc, bcc and archive address, each recipient
once even when listed twice; every copy shows a ``Cc`` header with the whole cc list; a bcc
copy also shows ``Bcc`` with only its own address; ``X-MSYS-API`` itself never reaches anyone.
The 550 replies are the documented ones, word for word where the documentation gives words.

No sockets here, so every rule is testable on bytes alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from composer.core import msys
from composer.core.addresses import (
    AddressError,
    ValidAddress,
    address_key,
    check_address,
    has_control_chars,
)
from composer.core.draft import Recipient
from composer.core.errors import HeaderError
from composer.core.headers import HARD_LIMIT, format_mailbox, header_line
from composer.core.validate import MAX_CAMPAIGN_BYTES, MAX_LIST_RECIPIENTS

__all__ = [
    "LISTS",
    "Copy",
    "MsysRejection",
    "RcptType",
    "Request",
    "build_copies",
    "describe",
    "envelope_address_ok",
    "fan_out",
    "parse_request",
]

RcptType = Literal["to", "cc", "bcc", "archive"]
LISTS: tuple[Literal["cc", "bcc", "archive"], ...] = ("cc", "bcc", "archive")

REPLY_JSON = "550 5.6.0 JSON parsing error in X-MSYS-API"
REPLY_NOT_OBJECT = "550 5.6.0 JSON parsing error in X-MSYS-API: the value must be a JSON object"
REPLY_METADATA = "550 5.6.0 X-MSYS-API 'metadata' must be of type 'json object'"
REPLY_CAMPAIGN = "550 5.6.0 smtpapi_campaign_id context is limited to 64 bytes"
# RFC 5322 2.3 and 5321 2.3.8: no NUL, no CR outside CRLF. A bare LF is read as a line end
# (lenient MTAs do); a bare CR has no reading every program agrees on, so it is refused.
REPLY_NUL = "550 5.6.0 the message holds a NUL byte, which mail may not carry (RFC 5322)"
REPLY_BARE_CR = "550 5.6.0 the message holds a bare CR, not followed by LF (RFC 5322)"


class MsysRejection(Exception):
    """The message is refused; ``reply`` is the exact SMTP reply line (ASCII, code first)."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        super().__init__(reply)


@dataclass(frozen=True)
class Copy:
    rcpt: str
    rcpt_type: RcptType
    data: bytes  # CRLF line endings


@dataclass
class _Field:
    name: str  # lower case
    lines: list[bytes]  # the header line and its continuation lines, no CRLF


@dataclass(frozen=True)
class Request:
    """One incoming message, its X-MSYS-API checked and its lists parsed."""

    fields: tuple[_Field, ...]  # every header except X-MSYS-API, Cc and Bcc
    body: bytes
    api: dict[str, Any] = field(default_factory=dict)
    lists: dict[str, tuple[ValidAddress, ...]] = field(default_factory=dict)

    @property
    def options(self) -> dict[str, Any]:
        opts = self.api.get("options")
        return opts if isinstance(opts, dict) else {}

    @property
    def sandbox(self) -> bool:
        return self.options.get("sandbox") is True


_BARE_LF = re.compile(rb"(?<!\r)\n")
_HEADER_START = re.compile(rb"^([!-9;-~]+):")
_MAX_MAILBOX = HARD_LIMIT - len("Bcc: ")
_DROPPED = {msys.HEADER_NAME.lower(), "cc", "bcc"}


def _split(data: bytes) -> tuple[list[_Field], bytes]:
    """Header fields and body. A line that is neither a header nor a continuation starts the
    body (a missing blank line), the way lenient MTAs read it."""
    data = _BARE_LF.sub(b"\r\n", data)
    fields: list[_Field] = []
    pos = 0
    while pos < len(data):
        end = data.find(b"\r\n", pos)
        line, nxt = (data[pos:], len(data)) if end < 0 else (data[pos:end], end + 2)
        if not line:
            return fields, data[nxt:]
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].lines.append(line)
        elif m := _HEADER_START.match(line):
            fields.append(_Field(m.group(1).decode("ascii").lower(), [line]))
        else:
            return fields, data[pos:]
        pos = nxt
    return fields, b""


def _load_api(field: _Field) -> Any:
    raw = b"\r\n".join(field.lines)[len(msys.HEADER_NAME) + 1 :]
    try:
        return msys.parse_value(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        # RecursionError: "[[[[..." nested deeper than the parser's stack
        raise MsysRejection(REPLY_JSON) from None


def _recipient(name: str, i: int, entry: Any) -> ValidAddress:
    def bad(why: str) -> MsysRejection:
        return MsysRejection(f"550 5.6.0 X-MSYS-API '{name}' entry {i} {why}")

    if isinstance(entry, str):
        email, display = entry, ""
    elif isinstance(entry, dict):
        email, display = entry.get("email"), entry.get("name", "")
        if not isinstance(email, str):
            raise bad("must have an 'email' string")
        if display is None:
            display = ""
        if not isinstance(display, str):
            raise bad("has a 'name' that is not a string")
    else:
        raise bad("must be an address string or an object with 'email' and 'name'")
    try:
        # a lone surrogate ("\ud800" in JSON) cannot be written into any header
        email.encode("utf-8")
        display.encode("utf-8")
        addr = check_address(Recipient(email, display))
        mailbox = format_mailbox(addr)
    except (UnicodeEncodeError, AddressError, HeaderError):
        raise bad("is not a valid email address") from None
    # header_line folds only between mailboxes, so one mailbox must fit on a line of its own
    if len(mailbox) > _MAX_MAILBOX:
        raise bad("has a name too long for a header")
    return addr


def _check_api(api: Any) -> dict[str, tuple[ValidAddress, ...]]:
    if not isinstance(api, dict):
        raise MsysRejection(REPLY_NOT_OBJECT)
    if "metadata" in api and not isinstance(api["metadata"], dict):
        raise MsysRejection(REPLY_METADATA)
    campaign = api.get("campaign_id")
    if campaign is not None:
        if not isinstance(campaign, str):
            raise MsysRejection("550 5.6.0 X-MSYS-API 'campaign_id' must be of type 'string'")
        if len(campaign.encode("utf-8", "surrogatepass")) > MAX_CAMPAIGN_BYTES:
            raise MsysRejection(REPLY_CAMPAIGN)
    for name in ("tags", *LISTS):
        if name in api and not isinstance(api[name], list):
            raise MsysRejection(f"550 5.6.0 X-MSYS-API '{name}' must be of type 'json array'")
    if "options" in api and not isinstance(api["options"], dict):
        raise MsysRejection("550 5.6.0 X-MSYS-API 'options' must be of type 'json object'")
    total = sum(len(api.get(name, [])) for name in LISTS)
    if total > MAX_LIST_RECIPIENTS:
        raise MsysRejection(
            f"550 5.6.0 X-MSYS-API cc, bcc and archive may hold at most "
            f"{MAX_LIST_RECIPIENTS} recipients in total ({total} given)"
        )
    return {
        name: tuple(_recipient(name, i, e) for i, e in enumerate(api.get(name, [])))
        for name in LISTS
    }


def parse_request(data: bytes) -> Request:
    """Split the message and check its X-MSYS-API. Raises MsysRejection with the reply."""
    if b"\0" in data:
        raise MsysRejection(REPLY_NUL)
    if b"\r" in data.replace(b"\r\n", b""):
        raise MsysRejection(REPLY_BARE_CR)
    fields, body = _split(data)
    api_fields = [f for f in fields if f.name == msys.HEADER_NAME.lower()]
    kept = tuple(f for f in fields if f.name not in _DROPPED)
    if not api_fields:
        return Request(kept, body, {}, {name: () for name in LISTS})
    # Several X-MSYS-API headers: the first counts, none is passed on.
    api = _load_api(api_fields[0])
    lists = _check_api(api)
    return Request(kept, body, api, lists)


def envelope_address_ok(addr: str) -> bool:
    """An envelope address that can be written into Return-Path / Delivered-To as it is."""
    return addr.isascii() and not has_control_chars(addr)


def _envelope_address(addr: str) -> str:
    if not envelope_address_ok(addr):
        raise MsysRejection("550 5.1.3 an envelope address holds characters a header cannot")
    return addr


def _unique(addresses: Sequence[ValidAddress]) -> list[ValidAddress]:
    seen: set[str] = set()
    out = []
    for a in addresses:
        key = address_key(a.addr_spec)
        if key not in seen:
            seen.add(key)
            out.append(a)
    return out


def build_copies(
    request: Request,
    mail_from: str,
    rcpt_tos: Sequence[str],
    transmission_id: str,
    *,
    extra_headers: Sequence[tuple[str, str]] = (),
) -> list[Copy]:
    """One copy per recipient: RCPT TO first, then cc, bcc, archive; the first role wins."""
    mail_from = _envelope_address(mail_from)
    targets: list[tuple[str, RcptType, ValidAddress | None]] = []
    seen: set[str] = set()
    for rcpt in rcpt_tos:
        _envelope_address(rcpt)
        if address_key(rcpt) not in seen:
            seen.add(address_key(rcpt))
            targets.append((rcpt, "to", None))
    for name in LISTS:
        for addr in request.lists[name]:
            if address_key(addr.addr_spec) not in seen:
                seen.add(address_key(addr.addr_spec))
                targets.append((addr.addr_spec, name, addr))

    ccs = _unique(request.lists["cc"])
    cc_line = header_line("Cc", [format_mailbox(a) for a in ccs], sep=", ") if ccs else None
    original = [b"\r\n".join(f.lines) for f in request.fields]
    # the relay's Cc and Bcc go right after the (last) To, or at the end without one
    at = max((i + 1 for i, f in enumerate(request.fields) if f.name == "to"), default=len(original))

    copies = []
    for rcpt, kind, addr in targets:
        trace = [
            f"Return-Path: <{mail_from}>",
            f"Delivered-To: {rcpt}",
            f"X-Relay-Rcpt-Type: {kind}",
            f"X-Relay-Transmission-Id: {transmission_id}",
            *(f"{name}: {value}" for name, value in extra_headers),
        ]
        added = [cc_line] if cc_line else []
        if kind == "bcc" and addr is not None:
            added.append(header_line("Bcc", [format_mailbox(addr)]))
        lines = [
            *(t.encode("ascii") for t in trace),
            *original[:at],
            *(a.encode("ascii") for a in added),
            *original[at:],
        ]
        copies.append(Copy(rcpt, kind, b"\r\n".join(lines) + b"\r\n\r\n" + request.body))
    return copies


def fan_out(
    mail_from: str,
    rcpt_tos: list[str],
    data: bytes,
    transmission_id: str,
    *,
    extra_headers: Sequence[tuple[str, str]] = (),
) -> list[Copy]:
    """What the relay does with one message: every copy it delivers, or MsysRejection."""
    return build_copies(
        parse_request(data), mail_from, rcpt_tos, transmission_id, extra_headers=extra_headers
    )


def describe(copies: Sequence[Copy]) -> str:
    """``to=1 cc=2 bcc=0 archive=1`` for the log: counts only, never addresses or content."""
    kinds: tuple[RcptType, ...] = ("to", "cc", "bcc", "archive")
    return " ".join(f"{k}={sum(c.rcpt_type == k for c in copies)}" for k in kinds)
