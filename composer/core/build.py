"""Draft -> envelope + the exact bytes DATA carries.

The preview, ``composer send`` and the window's send all call ``build_messages``: what the
preview shows is what the relay receives.

The message is a MIME tree made by ``email`` (body parts and their encodings) under a header
block we write ourselves (``headers.py``): ``From, To, Subject, Date, Message-ID, MIME-Version``
and ``X-MSYS-API`` when anything is set. There is no ``Cc`` header (the relay writes it from
the ``cc`` list) and no ``Bcc`` header; cc, bcc and archive addresses travel only in
``X-MSYS-API``, never in the envelope.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import MIMEPart
from email.utils import format_datetime, make_msgid
from io import BytesIO
from typing import Any

from composer.core import msys
from composer.core.addresses import ValidAddress, check_address
from composer.core.attachfiles import (
    AttachmentFileError,
    AttachmentTooLarge,
    read_attachment,
)
from composer.core.draft import Draft, Recipient
from composer.core.errors import HeaderError, InvalidDraft
from composer.core.headers import (
    HARD_LIMIT,
    check_header_block,
    encode_text,
    format_mailbox,
    header_line,
)
from composer.core.problems import (
    MAX_HEADER_BYTES,
    MAX_MESSAGE_BYTES,
    MESSAGE_LIMIT_SOURCE,
    Problem,
)
from composer.core.related import InlineImageError, add_related
from composer.core.render import Rendered, render
from composer.core.validate import errors_of, validate

__all__ = ["Envelope", "OutgoingMessage", "build_message", "build_messages", "msys_object"]

# 998-octet lines (RFC 5322's hard limit) and a transfer encoding chosen per part: 7bit when
# it fits, else quoted-printable or base64. Never forced 7bit/8bit (reliability.md §7 #13).
_POLICY = email_policy.SMTP.clone(max_line_length=HARD_LIMIT, cte_type="7bit")


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_to: tuple[str, ...]


@dataclass(frozen=True)
class OutgoingMessage:
    envelope: Envelope
    data: bytes  # CRLF line endings, not dot-stuffed: exactly what DATA carries
    message_id: str
    msys: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def header_block(self) -> str:
        return self.data.split(b"\r\n\r\n", 1)[0].decode("ascii")


def _recipient_json(addr: ValidAddress) -> dict[str, str]:
    return {"email": addr.addr_spec, "name": addr.name} if addr.name else {"email": addr.addr_spec}


def msys_object(draft: Draft) -> dict[str, Any] | None:
    """The X-MSYS-API object with only the keys the person set; None when nothing is set."""
    obj: dict[str, Any] = {}
    if draft.campaign_id:
        obj["campaign_id"] = draft.campaign_id
    if isinstance(draft.metadata, dict) and draft.metadata:
        obj["metadata"] = draft.metadata
    elif not isinstance(draft.metadata, dict):
        obj["metadata"] = draft.metadata  # only reached without validation; the relay says 550
    for name in ("cc", "bcc", "archive"):
        recipients: list[Recipient] = getattr(draft, name)
        if recipients:
            obj[name] = [_recipient_json(check_address(r)) for r in recipients]
    if draft.tags:
        obj["tags"] = list(draft.tags)
    o = draft.options
    options: dict[str, Any] = {}
    for key in ("open_tracking", "click_tracking", "transactional", "sandbox", "skip_suppression"):
        value = getattr(o, key)
        if value is not None:
            options[key] = value
    if o.ip_pool:
        options["ip_pool"] = o.ip_pool
    if o.inline_css is not None:
        options["inline_css"] = o.inline_css
    if options:
        obj["options"] = options
    return obj or None


def _mime_body(rendered: Rendered, draft: Draft) -> MIMEPart:
    root = MIMEPart(policy=_POLICY)
    root.set_content(rendered.text, subtype="plain", charset="utf-8")
    if rendered.amp is not None:
        root.add_alternative(rendered.amp, subtype="x-amp-html", charset="utf-8")
    budget = MAX_MESSAGE_BYTES
    if rendered.html is not None:
        root.add_alternative(rendered.html, subtype="html", charset="utf-8")
        if draft.inline_images:  # the HTML becomes multipart/related (related.py)
            budget = _add_inline_images(list(root.iter_parts())[-1], draft, budget)
    # Each file is checked (attachfiles.py) and counted before it is read: a file that would
    # take the message over the limit is never read whole into memory.
    for i, att in enumerate(draft.attachments):
        try:
            content = read_attachment(att.path, limit=max(budget, 0) * 3 // 4)
        except AttachmentTooLarge:
            raise InvalidDraft([_too_big(f"attachments[{i}]")]) from None
        except AttachmentFileError as exc:
            raise InvalidDraft([Problem(f"attachments[{i}]", str(exc))]) from None
        budget -= 4 * -(-len(content) // 3)  # base64 without line breaks: the exact check is later
        if budget < 0:
            raise InvalidDraft([_too_big(f"attachments[{i}]")])
        ctype = att.content_type or mimetypes.guess_type(att.display_name)[0]
        maintype, _, subtype = (ctype or "application/octet-stream").partition("/")
        root.add_attachment(content, maintype=maintype, subtype=subtype, filename=att.display_name)
    return root


def _add_inline_images(html_part: MIMEPart, draft: Draft, budget: int) -> int:
    try:
        return add_related(html_part, draft.inline_images, budget)
    except AttachmentTooLarge:
        raise InvalidDraft([_too_big("inline_images")]) from None
    except InlineImageError as exc:
        raise InvalidDraft([Problem("inline_images", str(exc))]) from None


def _too_big(field: str, size: int | None = None) -> Problem:
    what = f"is {size / 1e6:.1f} MB" if size is not None else "would be over the limit"
    return Problem(
        field,
        f"the message {what} once encoded for email; the limit is "
        f"{MAX_MESSAGE_BYTES / 1e6:.1f} MB ({MESSAGE_LIMIT_SOURCE})",
    )


_BARE_EOL = re.compile(rb"(?<!\r)\n|\r(?!\n)")


def _check_wire(data: bytes) -> None:
    """What the wire may carry: CRLF only, no NUL, no line over 998 octets."""
    if _BARE_EOL.search(data):
        raise HeaderError("the message has a bare CR or LF")
    if b"\x00" in data:
        raise HeaderError("the message contains a NUL byte")
    if any(len(line) > HARD_LIMIT for line in data.split(b"\r\n")):
        raise HeaderError("the message has a line over 998 octets")


def build_message(
    draft: Draft,
    *,
    to: list[Recipient] | None = None,
    rendered: Rendered | None = None,
    now: datetime | None = None,
    message_id: str | None = None,
) -> OutgoingMessage:
    """One message. ``to`` overrides the draft's To (seed lists); ``rendered`` lets a caller
    that already rendered (the preview) reuse it. Raises InvalidDraft on any error."""
    if to is not None:
        draft = replace(draft, to=list(to))
    problems = errors_of(validate(draft))
    if problems:
        raise InvalidDraft(problems)
    return _Builder(draft, rendered).build(draft.to, now=now, message_id=message_id)


def build_messages(
    draft: Draft,
    *,
    seeds: list[Recipient] | None = None,
    now: datetime | None = None,
    rendered: Rendered | None = None,
    problems: list[Problem] | None = None,
) -> list[OutgoingMessage]:
    """The messages a send makes: one, or one per seed address (that seed as its To).

    Validation, rendering and the X-MSYS-API value are done once: none depends on the To. A
    caller that has already validated this very draft (with the seeds as its To) and rendered
    it passes ``problems`` and ``rendered`` on, so nothing runs twice — with local inlining,
    premailer is most of a preview's cost."""
    if problems is None:
        problems = validate(replace(draft, to=list(seeds)) if seeds else draft)
    errors = errors_of(problems)
    if errors:
        raise InvalidDraft(errors)
    builder = _Builder(draft, rendered)
    if not seeds:
        return [builder.build(draft.to, now=now)]
    return [builder.build([s], now=now) for s in seeds]


class _Builder:
    """What every message of one draft shares; ``build`` adds the To, Date and Message-ID."""

    def __init__(self, draft: Draft, rendered: Rendered | None) -> None:
        self.sender = check_address(draft.from_addr)
        self.subject = encode_text(draft.subject) if draft.subject else []
        self.obj = msys_object(draft)
        self.msys_line = (
            f"{msys.HEADER_NAME}: {msys.format_value(self.obj)}" if self.obj is not None else None
        )
        buf = BytesIO()
        body = _mime_body(rendered or render(draft), draft)
        crlf = _POLICY.clone(linesep="\r\n")
        generator: BytesGenerator[MIMEPart] = BytesGenerator(buf, policy=crlf)
        generator.flatten(body)
        # The MIME root's own headers (Content-Type, Content-Transfer-Encoding) follow ours.
        self.body_entity = buf.getvalue()
        _check_wire(self.body_entity)

    def build(
        self, to: list[Recipient], *, now: datetime | None = None, message_id: str | None = None
    ) -> OutgoingMessage:
        recipients = [check_address(r) for r in to]
        now = now or datetime.now().astimezone()
        message_id = message_id or make_msgid(domain=self.sender.domain)
        lines = [
            header_line("From", [format_mailbox(self.sender)]),
            header_line("To", [format_mailbox(r) for r in recipients], sep=", "),
            header_line("Subject", self.subject),
            header_line("Date", [format_datetime(now)]),
            header_line("Message-ID", [message_id]),
            "MIME-Version: 1.0",
        ]
        names = ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version"]
        if self.msys_line is not None:
            lines.append(self.msys_line)
            names.append(msys.HEADER_NAME)
        block = ("\r\n".join(lines) + "\r\n").encode("ascii")
        if len(block) > MAX_HEADER_BYTES:
            raise InvalidDraft(
                [
                    Problem(
                        "metadata" if self.msys_line is not None else "to",
                        f"the message headers are {len(block) // 1000} KB; they can be at "
                        f"most {MAX_HEADER_BYTES // 1000} KB",
                    )
                ]
            )
        if len(block) + len(self.body_entity) > MAX_MESSAGE_BYTES:
            raise InvalidDraft([_too_big("attachments", len(block) + len(self.body_entity))])
        check_header_block(block, names)
        return OutgoingMessage(
            envelope=Envelope(self.sender.addr_spec, tuple(r.addr_spec for r in recipients)),
            data=block + self.body_entity,
            message_id=message_id,
            msys=self.obj,
        )
