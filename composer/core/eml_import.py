"""An .eml file read back into a Draft: headers, body parts, attachments and ``X-MSYS-API``.

Pure: bytes in, a Draft and the attached files' bytes out (the window saves those; this module
touches no disk). The file may come from anywhere, so it is treated as hostile and bounded
before the ``email`` parser sees it: at most ``MAX_EML_BYTES``, a header block of at most
``MAX_HEADER_BYTES``, at most ``MAX_PARTS`` MIME boundaries (which also bounds the nesting, and
the parser's recursion, before parsing), a part tree no deeper than ``MAX_DEPTH``. A header
that decodes to more than one line (an RFC 2047 encoded CR LF: a header smuggled inside
another), a second From / Subject / X-MSYS-API, or a broken multipart structure is refused with
an ``EmlImportError`` naming the header or part. Anything that is merely unusual (an unknown
charset, an unknown X-MSYS-API key) is imported and listed in ``notes``.

What maps where: From, To, Subject; cc / bcc / archive from X-MSYS-API (the way Composer sends
them), else cc from a Cc header and bcc from a Bcc header (how a relay's delivered copy shows
them); campaign_id, tags, metadata and options from X-MSYS-API; the HTML part is the body (the
plain-text part is kept as the written alternative only when it differs from the one Composer
would generate), else the plain-text part; text/x-amp-html is the AMP part; an image the HTML
shows by its Content-ID (``cid:``) is an inline image; every other leaf is an attachment.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass, field, fields, replace
from email import policy
from email.message import EmailMessage, Message
from typing import Any

from composer.core import jsonin, msys
from composer.core.draft import BodyFormat, Draft, Options, Recipient, split_recipients
from composer.core.errors import EmlImportError
from composer.core.plaintext import html_to_text
from composer.core.problems import MAX_MESSAGE_BYTES
from composer.core.related import cid_problem, cid_references

__all__ = [
    "MAX_DEPTH",
    "MAX_EML_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_PARTS",
    "EmlImport",
    "ImportedFile",
    "parse_eml",
    "safe_filename",
]

# A message Composer may send is at most 20 MB encoded; a copy with a relay's added headers, or
# another tool's, a little more. Beyond this it is not a message we could send again anyway.
MAX_EML_BYTES = MAX_MESSAGE_BYTES + 5_000_000
MAX_HEADER_BYTES = 512 * 1024  # the builder's own limit on all headers together
MAX_PARTS = 200
MAX_DEPTH = 8
_MAX_NAME = 120

_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]")
_STRUCTURAL = (  # a multipart the parser had to guess at: the parts may not be what was sent
    "NoBoundaryInMultipartDefect",
    "StartBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "CloseBoundaryNotFoundDefect",
)
_FLAGS = ("open_tracking", "click_tracking", "transactional", "sandbox", "skip_suppression",
          "inline_css")  # fmt: skip
_OPTION_NAMES = {f.name for f in fields(Options)}


@dataclass(frozen=True)
class ImportedFile:
    filename: str  # safe: one plain name, no folder, no leading dot
    content_type: str
    data: bytes
    cid: str = ""  # an image the HTML shows by this Content-ID: an inline image, not attached


@dataclass
class EmlImport:
    draft: Draft
    files: list[ImportedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was imported differently, and why


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _check_bounds(data: bytes) -> None:
    if len(data) > MAX_EML_BYTES:
        raise EmlImportError(
            "", f"the file is {_mb(len(data))}; an .eml to import can be at most "
            f"{_mb(MAX_EML_BYTES)} (a message Composer sends is at most {_mb(MAX_MESSAGE_BYTES)})"
        )  # fmt: skip
    if not data.strip():
        raise EmlImportError("", "the file is empty")
    end = _HEADER_END.search(data, 0, MAX_HEADER_BYTES + 4)
    head = data[: end.start()] if end else data
    if len(head) > MAX_HEADER_BYTES:
        raise EmlImportError("headers", f"are over {MAX_HEADER_BYTES // 1024} KB together")
    if b":" not in head.split(b"\n", 1)[0]:
        raise EmlImportError("", "this is not an e-mail message (no header on the first line)")
    boundaries = len(_BOUNDARY.findall(data))
    if boundaries > MAX_PARTS:
        raise EmlImportError(
            "MIME parts", f"{boundaries} multipart sections; at most {MAX_PARTS} are imported"
        )


def _header(msg: Message, name: str, notes: list[str], *, single: bool = True) -> str:
    """The decoded value of header ``name`` ('' when absent), refused when it is not one line."""
    values = msg.get_all(name) or []
    if single and len(values) > 1:
        raise EmlImportError(name, f"appears {len(values)} times; a message has one")
    texts = []
    for value in values:
        try:
            text = str(value)
        except Exception as exc:  # the header parser's own errors on hostile input
            raise EmlImportError(name, f"cannot be read: {exc}") from None
        bad = _CONTROL.search(text)
        if bad:
            raise EmlImportError(
                name, f"decodes to text with the control character U+{ord(bad.group()):04X} "
                "(a line break hides a second header inside this one); refused"
            )  # fmt: skip
        texts.append(text.strip())
    return ", ".join(t for t in texts if t)


def _raw_msys(msg: Message) -> str | None:
    raw = [v for k, v in msg.raw_items() if k.lower() == msys.HEADER_NAME.lower()]
    if len(raw) > 1:
        raise EmlImportError(msys.HEADER_NAME, f"appears {len(raw)} times; a message has one")
    return str(raw[0]) if raw else None


def _recipients(value: Any, where: str) -> list[Recipient]:
    if not isinstance(value, list):
        raise EmlImportError(where, "must be a list of addresses")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            out.append(Recipient(item))
        elif isinstance(item, dict) and isinstance(item.get("email"), str):
            name = item.get("name", "")
            out.append(Recipient(item["email"], name if isinstance(name, str) else ""))
        else:
            raise EmlImportError(f"{where}[{i}]", 'must be "addr" or {"email": "addr"}')
    return out


def _msys_fields(raw: str, notes: list[str]) -> dict[str, Any]:
    where = msys.HEADER_NAME
    try:
        obj = jsonin.loads(msys.unfold_relay(raw).strip())
    except ValueError as exc:
        raise EmlImportError(where, f"is not JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise EmlImportError(where, "must be a JSON object")
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key == "campaign_id":
            if not isinstance(value, str):
                raise EmlImportError(f"{where}.campaign_id", "must be text")
            out["campaign_id"] = value
        elif key == "tags":
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise EmlImportError(f"{where}.tags", "must be a list of text")
            out["tags"] = list(value)
        elif key == "metadata":
            out["metadata"] = value  # any JSON: validation says what the relay would refuse
        elif key in ("cc", "bcc", "archive"):
            out[key] = _recipients(value, f"{where}.{key}")
        elif key == "options":
            out["options"] = _options(value, notes)
        else:
            notes.append(f"{where}: the key {key!r} is not one Composer edits; left out")
    return out


def _options(value: Any, notes: list[str]) -> Options:
    where = f"{msys.HEADER_NAME}.options"
    if not isinstance(value, dict):
        raise EmlImportError(where, "must be a JSON object")
    found: dict[str, Any] = {}
    for key, item in value.items():
        if key in _FLAGS:
            if not isinstance(item, bool):
                raise EmlImportError(f"{where}.{key}", "must be true or false")
            found[key] = item
        elif key == "ip_pool":
            if not isinstance(item, str):
                raise EmlImportError(f"{where}.ip_pool", "must be text")
            found[key] = item
        elif key in _OPTION_NAMES:  # pragma: no cover - every Options field is handled above
            found[key] = item
        else:
            notes.append(f"{where}: the option {key!r} is not one Composer edits; left out")
    return Options(**found)


def safe_filename(name: str | None, index: int, content_type: str) -> str:
    """One plain file name: no folder part, no control characters, no leading dot, bounded."""
    import mimetypes

    text = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(c for c in text if c.isprintable() and c not in '<>:"|?*').strip()
    text = text.lstrip(".").strip()
    if not text:
        ext = mimetypes.guess_extension(content_type) or ".bin"
        text = f"attachment-{index}{ext}"
    if len(text) > _MAX_NAME:
        stem, dot, ext = text.rpartition(".")
        text = (stem[: _MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) < 10 else (
            text[:_MAX_NAME]
        )  # fmt: skip
    return text


def _text(part: Message, notes: list[str], label: str) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, ValueError, AssertionError):  # an unknown charset, a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        notes.append(f"{label}: its character set could not be used; read as UTF-8")
    if not isinstance(content, str):
        return ""
    # The editors hold LF lines; a MIME text part ends with the line break the builder added.
    content = content.replace("\r\n", "\n")
    return content[:-1] if content.endswith("\n") else content


def _leaves(part: Message, depth: int, out: list[Message]) -> None:
    """Every leaf part, in order, the tree no deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise EmlImportError("MIME parts", f"are nested more than {MAX_DEPTH} levels deep")
    if len(out) > MAX_PARTS:
        raise EmlImportError("MIME parts", f"more than {MAX_PARTS}; not imported")
    if part.is_multipart():
        children = part.get_payload()
        for child in children if isinstance(children, list) else []:
            if isinstance(child, Message):
                _leaves(child, depth + 1, out)
        return
    out.append(part)


def _structural_defects(msg: Message) -> None:
    for part in msg.walk():
        for defect in getattr(part, "defects", []):
            name = type(defect).__name__
            if name in _STRUCTURAL:
                raise EmlImportError(
                    "MIME parts", f"the multipart structure is broken ({name}); not imported"
                )


def parse_eml(data: bytes) -> EmlImport:
    """The Draft an .eml describes, the files it carries, and notes; EmlImportError else."""
    _check_bounds(data)
    try:
        msg = email.message_from_bytes(data, policy=policy.default)
    except Exception as exc:  # RecursionError, the parser's own errors: hostile input
        raise EmlImportError("", f"cannot be read as a message: {type(exc).__name__}") from None
    assert isinstance(msg, EmailMessage)
    notes: list[str] = []
    _structural_defects(msg)
    from_text = _header(msg, "From", notes)
    senders = split_recipients(from_text) if from_text else []
    if len(senders) > 1:
        raise EmlImportError("From", f"names {len(senders)} senders; a draft has one")
    changes: dict[str, Any] = {
        "from_addr": senders[0] if senders else Recipient(""),
        "to": split_recipients(_header(msg, "To", notes, single=False)),
        "subject": _header(msg, "Subject", notes),
    }
    raw = _raw_msys(msg)
    if raw is not None:
        changes.update(_msys_fields(raw, notes))
    for header, key in (("Cc", "cc"), ("Bcc", "bcc")):
        listed = split_recipients(_header(msg, header, notes, single=False))
        if listed and key not in changes:
            changes[key] = listed
        elif listed:
            notes.append(f"{header}: {msys.HEADER_NAME} lists the {key} recipients; header left")

    leaves: list[Message] = []
    _leaves(msg, 1, leaves)
    html = plain = amp = None
    files: list[ImportedFile] = []
    for part in leaves:
        kind = part.get_content_type()
        # the first unnamed, not-attached part of each text kind is the body's
        body_part = part.get_content_disposition() != "attachment" and not part.get_filename()
        if body_part and kind == "text/html" and html is None:
            html = _text(part, notes, "HTML part")
        elif body_part and kind == "text/plain" and plain is None:
            plain = _text(part, notes, "Plain-text part")
        elif body_part and kind == "text/x-amp-html" and amp is None:
            amp = _text(part, notes, "AMP part")
        else:
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            name = safe_filename(part.get_filename(), len(files) + 1, kind)
            cid = str(part.get("Content-ID", "")).strip().removeprefix("<").removesuffix(">")
            cid = cid if part.get_content_maintype() == "image" and not cid_problem(cid) else ""
            files.append(ImportedFile(name, kind, content, cid))
    _dedupe(files)
    # Composer's own export (and most mail) shows images by cid: those come back as inline
    # images, the others (a cid the HTML never shows) as attachments.
    shown = set(cid_references(html)) if html is not None else set()
    files[:] = [f if f.cid in shown else replace(f, cid="") for f in files]
    if html is not None:
        changes.update(body=html, body_format=BodyFormat.HTML)
        if plain is not None and plain.strip() != html_to_text(html).strip():
            changes["plain_text"] = plain  # written by someone, not generated: keep it
    elif plain is not None:
        changes.update(body=plain, body_format=BodyFormat.TEXT)
    else:
        notes.append("Body: the message has no text or HTML part")
    if amp is not None:
        changes["amp_html"] = amp
    return EmlImport(Draft(**changes), files, notes)


def _dedupe(files: list[ImportedFile]) -> None:
    """Two attachments with one name would overwrite each other when saved: number them."""
    seen: set[str] = set()
    for i, f in enumerate(files):
        name, n = f.filename, 1
        while name.lower() in seen:
            n += 1
            stem, dot, ext = f.filename.rpartition(".")
            name = f"{stem} ({n}).{ext}" if dot and stem else f"{f.filename} ({n})"
        seen.add(name.lower())
        if name != f.filename:
            files[i] = replace(f, filename=name)
