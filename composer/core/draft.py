"""The Draft: plain data the window edits, the CLI builds, and drafts files store.

A Draft may hold anything a person typed, valid or not: validation (``validate.py``) reports
what is wrong with it, field by field, and nothing here throws input away.

Draft file format (JSON, UTF-8), version 1::

    {
      "format": "composer-draft", "version": 1,
      "from": {"email": "a@example.com", "name": "Ann"},
      "to": [{"email": "b@example.com", "name": ""}],
      "subject": "Hello",
      "body": "# Hi", "body_format": "markdown",          # markdown | html | text
      "plain_text": null,                                 # null = generated from the HTML
      "amp_html": null,
      "attachments": [{"path": "/abs/file.pdf", "filename": null, "content_type": null}],
      "inline_images": [{"path": "/abs/logo.png", "cid": "logo"}],   # <img src="cid:logo">
      "cc": [...], "bcc": [...], "archive": [...],        # like "to"
      "campaign_id": "", "tags": [], "metadata": {},
      "options": {"open_tracking": null, "click_tracking": null, "transactional": null,
                  "sandbox": null, "skip_suppression": null, "ip_pool": "",
                  "inline_css": null},
      "inline_locally": false,
      "inline_engine": "premailer"                        # premailer | css-inline
    }

Attachment names: the name recipients see is the file's own (the last part of ``path``). A
``filename`` read from a draft file is checked for its type and then not used, since a file
from elsewhere could call ``~/.ssh/id_rsa`` "report.pdf"; only a name given in this session
(``Attachment.filename`` in memory, and the app's own autosaves of it, read with
``trust_names=True``) is kept. Which paths a draft file may name is ``attachfiles.py``'s rule.

Every key is optional when reading (a missing key takes its default); a key of the wrong type
is a ``DraftFormatError`` naming it. ``null`` in a tri-state option means "account default"
(the key is left out of ``X-MSYS-API``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

from composer.core import jsonin
from composer.core.errors import DraftFormatError

FORMAT_NAME = "composer-draft"
FORMAT_VERSION = 1
# CSS inliners for inline_locally and the preview of the relay's inlining (core/inline.py).
INLINE_ENGINES = ("premailer", "css-inline")
# A draft file holds the text of one message; the relay's size limit (problems.py,
# MAX_MESSAGE_BYTES) bounds what could be sent from it, so a larger file is refused unread.
MAX_DRAFT_FILE_BYTES = 20_000_000


class BodyFormat(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"
    TEXT = "text"


@dataclass
class Recipient:
    """An address as typed: ``email`` may be invalid until validation says otherwise."""

    email: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@dataclass
class Attachment:
    path: str
    filename: str | None = None  # name shown to recipients; default: the file's own name
    content_type: str | None = None  # default: guessed from the name

    @property
    def display_name(self) -> str:
        return self.filename or Path(self.path).name


@dataclass
class InlineImage:
    """An image the HTML shows with ``<img src="cid:{cid}">``; related.py checks and sends it."""

    path: str
    cid: str


@dataclass
class Options:
    """The relay's ``options`` object. ``None`` leaves the key out (the account default)."""

    open_tracking: bool | None = None
    click_tracking: bool | None = None
    transactional: bool | None = None
    sandbox: bool | None = None
    skip_suppression: bool | None = None
    ip_pool: str = ""
    inline_css: bool | None = None


@dataclass
class Draft:
    from_addr: Recipient = field(default_factory=lambda: Recipient(""))
    to: list[Recipient] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    body_format: BodyFormat = BodyFormat.MARKDOWN
    plain_text: str | None = None
    amp_html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    inline_images: list[InlineImage] = field(default_factory=list)
    cc: list[Recipient] = field(default_factory=list)
    bcc: list[Recipient] = field(default_factory=list)
    archive: list[Recipient] = field(default_factory=list)
    campaign_id: str = ""
    tags: list[str] = field(default_factory=list)
    # Any JSON value: validation reports it when it is not an object.
    metadata: Any = field(default_factory=dict)
    options: Options = field(default_factory=Options)
    inline_locally: bool = False
    inline_engine: str = "premailer"  # one of INLINE_ENGINES: the same for preview and send


_ANGLE = re.compile(r"^\s*(?P<name>.*?)\s*<(?P<email>[^<>]*)>\s*$", re.S)


def parse_recipient(text: str) -> Recipient:
    """Split ``Name <addr>`` or a bare address. Never fails: what cannot be split is kept whole
    in ``email`` so that validation can name it."""
    m = _ANGLE.match(text)
    if m:
        name = m.group("name").strip()
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        return Recipient(email=m.group("email").strip(), name=name)
    return Recipient(email=text.strip())


def split_recipients(text: str) -> list[Recipient]:
    """Split pasted text (commas, semicolons, new lines) into recipients, blank parts ignored.

    A comma inside a quoted display name ("Doe, Jane" <j@x>) does not split."""
    parts: list[str] = []
    buf: list[str] = []
    in_quote = in_angle = False
    for ch in text:
        if ch == '"' and not in_angle:
            in_quote = not in_quote
        elif ch == "<" and not in_quote:
            in_angle = True
        elif ch == ">" and not in_quote:
            in_angle = False
        if ch in ",;\r\n" and not in_quote and not in_angle:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return [parse_recipient(p) for p in parts if p.strip()]


def read_address_lines(text: str) -> list[Recipient]:
    """An address file: one address per line ("Name <addr>" allowed), blank lines and lines
    starting with ``#`` ignored."""
    out = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(parse_recipient(line))
    return out


# --- JSON draft files -------------------------------------------------------------------------


def _recipient_to_json(r: Recipient) -> dict[str, str]:
    return {"email": r.email, "name": r.name}


def draft_to_json(draft: Draft) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "from": _recipient_to_json(draft.from_addr),
        "to": [_recipient_to_json(r) for r in draft.to],
        "subject": draft.subject,
        "body": draft.body,
        "body_format": draft.body_format.value,
        "plain_text": draft.plain_text,
        "amp_html": draft.amp_html,
        "attachments": [
            {"path": a.path, "filename": a.filename, "content_type": a.content_type}
            for a in draft.attachments
        ],
        "inline_images": [{"path": i.path, "cid": i.cid} for i in draft.inline_images],
        "cc": [_recipient_to_json(r) for r in draft.cc],
        "bcc": [_recipient_to_json(r) for r in draft.bcc],
        "archive": [_recipient_to_json(r) for r in draft.archive],
        "campaign_id": draft.campaign_id,
        "tags": list(draft.tags),
        "metadata": draft.metadata,
        "options": {f.name: getattr(draft.options, f.name) for f in fields(Options)},
        "inline_locally": draft.inline_locally,
        "inline_engine": draft.inline_engine,
    }


def dumps_draft(draft: Draft) -> str:
    return json.dumps(draft_to_json(draft), ensure_ascii=False, indent=2) + "\n"


class _Reader:
    """Reads one JSON draft, naming the field path in every error."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def get(self, key: str, kinds: tuple[Any, ...], default: Any, where: str = "") -> Any:
        obj = self.doc
        value = obj.get(key, default)
        name = where or key
        if value is None and None in kinds:
            return None
        real = tuple(k for k in kinds if isinstance(k, type))
        # bool is an int in Python; never accept it where a string or number is expected
        if not isinstance(value, real) or (isinstance(value, bool) and bool not in real):
            words = (_TYPE_WORDS.get(k) or str(getattr(k, "__name__", "?")) for k in kinds)
            want = " or ".join(words)
            raise DraftFormatError(name, f"must be {want}, not {_json_type(value)}")
        return value


_TYPE_WORDS: dict[Any, str] = {
    str: "text",
    bool: "true or false",
    list: "a list",
    dict: "an object",
    None: "null",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _read_recipient(value: Any, where: str) -> Recipient:
    if isinstance(value, str):
        return parse_recipient(value)
    if not isinstance(value, dict):
        raise DraftFormatError(where, f"must be an address object, not {_json_type(value)}")
    r = _Reader(value)
    return Recipient(
        email=r.get("email", (str,), "", f"{where}.email"),
        name=r.get("name", (str, None), "", f"{where}.name") or "",
    )


def _read_recipients(reader: _Reader, key: str) -> list[Recipient]:
    items = reader.get(key, (list,), [])
    return [_read_recipient(v, f"{key}[{i}]") for i, v in enumerate(items)]


def draft_from_json(doc: Any, *, trust_names: bool = False) -> Draft:
    """``trust_names``: keep attachment ``filename`` values (the app's own autosaves only)."""
    if not isinstance(doc, dict):
        raise DraftFormatError("", "a draft file must hold a JSON object")
    try:  # a document parsed by plain json.loads may still hold what cannot be sent
        jsonin.check(doc)
    except jsonin.JsonValueError as exc:
        raise DraftFormatError(exc.where, exc.message) from None
    if doc.get("format", FORMAT_NAME) != FORMAT_NAME:
        raise DraftFormatError("format", f"is {doc.get('format')!r}, not a Composer draft")
    version = doc.get("version", FORMAT_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DraftFormatError("version", "must be a whole number")
    if version > FORMAT_VERSION:
        raise DraftFormatError("version", f"is {version}: this draft was saved by a newer Composer")
    r = _Reader(doc)
    body_format = r.get("body_format", (str,), BodyFormat.MARKDOWN.value)
    try:
        fmt = BodyFormat(body_format)
    except ValueError:
        raise DraftFormatError(
            "body_format", f"is {body_format!r}; use markdown, html or text"
        ) from None
    attachments = []
    for i, a in enumerate(r.get("attachments", (list,), [])):
        where = f"attachments[{i}]"
        if isinstance(a, str):
            attachments.append(Attachment(path=a))
            continue
        if not isinstance(a, dict):
            raise DraftFormatError(where, "must be an object with a path")
        ar = _Reader(a)
        filename = ar.get("filename", (str, None), None, f"{where}.filename")
        attachments.append(
            Attachment(
                path=ar.get("path", (str,), "", f"{where}.path"),
                filename=filename if trust_names else None,
                content_type=ar.get("content_type", (str, None), None, f"{where}.content_type"),
            )
        )
    inline_images = []
    for i, item in enumerate(r.get("inline_images", (list,), [])):
        where = f"inline_images[{i}]"
        if not isinstance(item, dict):
            raise DraftFormatError(where, "must be an object with a path and a cid")
        ir = _Reader(item)
        inline_images.append(
            InlineImage(
                path=ir.get("path", (str,), "", f"{where}.path"),
                cid=ir.get("cid", (str,), "", f"{where}.cid"),
            )
        )
    tags = r.get("tags", (list,), [])
    for i, t in enumerate(tags):
        if not isinstance(t, str):
            raise DraftFormatError(f"tags[{i}]", f"must be text, not {_json_type(t)}")
    opts_doc = r.get("options", (dict,), {})
    orr = _Reader(opts_doc)
    tri = (bool, None)
    options = Options(
        open_tracking=orr.get("open_tracking", tri, None, "options.open_tracking"),
        click_tracking=orr.get("click_tracking", tri, None, "options.click_tracking"),
        transactional=orr.get("transactional", tri, None, "options.transactional"),
        sandbox=orr.get("sandbox", tri, None, "options.sandbox"),
        skip_suppression=orr.get("skip_suppression", tri, None, "options.skip_suppression"),
        ip_pool=orr.get("ip_pool", (str, None), "", "options.ip_pool") or "",
        inline_css=orr.get("inline_css", tri, None, "options.inline_css"),
    )
    inline_engine = r.get("inline_engine", (str,), INLINE_ENGINES[0])
    if inline_engine not in INLINE_ENGINES:
        raise DraftFormatError(
            "inline_engine", f"is {inline_engine!r}; use {' or '.join(INLINE_ENGINES)}"
        )
    from_doc = doc.get("from", {"email": ""})
    return Draft(
        from_addr=_read_recipient(from_doc, "from"),
        to=_read_recipients(r, "to"),
        subject=r.get("subject", (str,), ""),
        body=r.get("body", (str,), ""),
        body_format=fmt,
        plain_text=r.get("plain_text", (str, None), None),
        amp_html=r.get("amp_html", (str, None), None),
        attachments=attachments,
        inline_images=inline_images,
        cc=_read_recipients(r, "cc"),
        bcc=_read_recipients(r, "bcc"),
        archive=_read_recipients(r, "archive"),
        campaign_id=r.get("campaign_id", (str,), ""),
        tags=list(tags),
        metadata=doc.get("metadata", {}),
        options=options,
        inline_locally=r.get("inline_locally", (bool,), False),
        inline_engine=inline_engine,
    )


def loads_draft(text: str) -> Draft:
    """A draft from JSON text. Values JSON allows but nothing can send (NaN, a lone
    surrogate, a 4300-digit number, nesting ~1000 deep) are refused, naming the field."""
    try:
        doc = jsonin.loads(text)
    except jsonin.JsonValueError as exc:
        raise DraftFormatError(exc.where, exc.message) from None
    return draft_from_json(doc)


def read_draft_text(path: str | Path) -> str:
    """The text of a draft file: a regular file (not a FIFO, which could block, nor a device,
    which could be endless) of at most MAX_DRAFT_FILE_BYTES, in UTF-8. Raises
    ``jsonin.InputError`` without the path (the caller names the file its own way)."""
    return jsonin.decode_utf8(jsonin.read_regular_file(path, MAX_DRAFT_FILE_BYTES))


def load_draft(path: str | Path) -> Draft:
    try:
        text = read_draft_text(path)
    except jsonin.InputError as exc:
        raise DraftFormatError("", f"draft file {jsonin.shown(str(path))}: {exc}") from None
    return loads_draft(text)
