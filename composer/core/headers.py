"""The top-level header block, written by us and emitted verbatim.

CPython's header folder has had injection bugs in every supported version we ship on
(encoded-word ``=0D=0A`` in a Subject becomes a real header on 3.11.7: CVE-2024-6923, and
``BytesGenerator`` still emits injected headers on 3.13.0: CVE-2026-1299 — see
research/reliability.md §1.3 and §7). So the headers that carry user text are encoded here,
with a small RFC 2047 encoder that treats input as literal text, and the finished block is
checked line by line before it is used: a header we did not mean to write is an error, never
an email.
"""

from __future__ import annotations

import base64
import re

from composer.core.addresses import ValidAddress, has_control_chars
from composer.core.errors import HeaderError

__all__ = ["SOFT_LIMIT", "check_header_block", "encode_text", "format_mailbox", "header_line"]

SOFT_LIMIT = 78  # RFC 5322 §2.1.1 SHOULD
HARD_LIMIT = 998  # RFC 5322 §2.1.1 MUST
_EW_MAX_BYTES = 45  # 45 bytes -> 60 base64 chars -> 72-char encoded-word (limit 75)
_ATEXT_PHRASE = re.compile(r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$")


def _needs_encoding(text: str) -> bool:
    # "=?" could be read as an encoded-word by a receiving client: encode it so that it
    # is shown literally, whatever the client.
    return not text.isascii() or "=?" in text or has_control_chars(text)


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 B-encoded UTF-8 words, split on character boundaries."""
    words = []
    chunk = ""
    for ch in text:
        if len((chunk + ch).encode("utf-8")) > _EW_MAX_BYTES:
            words.append(chunk)
            chunk = ""
        chunk += ch
    if chunk:
        words.append(chunk)
    return [
        "=?utf-8?b?" + base64.b64encode(w.encode("utf-8")).decode("ascii") + "?=" for w in words
    ]


def encode_text(text: str) -> list[str]:
    """Tokens of an unstructured header value (Subject). Joined by folding whitespace,
    they decode back to ``text`` with its leading and trailing white space dropped (header
    parsers drop it anyway, so keeping it would only make the preview lie)."""
    text = text.strip()
    if has_control_chars(text):
        raise HeaderError("header text contains a control character or line break")
    if _needs_encoding(text) or any(len(w) > HARD_LIMIT - 20 for w in text.split(" ")):
        return _encoded_words(text)
    # Plain ASCII: keep it readable; words join back with the single spaces they had.
    return [text] if " " not in text else _space_tokens(text)


def _space_tokens(text: str) -> list[str]:
    # Only single spaces can be folding points without changing the text: a fold turns
    # "a  b" into "a\r\n  b", which unfolds to the same thing only if we keep every space.
    # Split on each space and let the folder re-insert exactly one.
    parts = text.split(" ")
    if any(p == "" for p in parts):  # leading, trailing or double spaces: don't fold
        return [text]
    return parts


def format_mailbox(addr: ValidAddress) -> str:
    """One mailbox for From / To: ``addr``, ``Name <addr>``, ``"Doe, Jane" <addr>``, or an
    encoded-word name for non-ASCII."""
    name = addr.name
    if not name:
        return addr.addr_spec
    if has_control_chars(name):
        raise HeaderError("a display name contains a control character or line break")
    if _needs_encoding(name):
        return " ".join(_encoded_words(name)) + f" <{addr.addr_spec}>"
    if _ATEXT_PHRASE.match(name) and not name.startswith(" ") and not name.endswith(" "):
        return f"{name} <{addr.addr_spec}>"
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{addr.addr_spec}>'


def header_line(name: str, tokens: list[str], sep: str = " ") -> str:
    """``Name: tok sep tok ...`` folded at token boundaries to SOFT_LIMIT where possible.

    ``sep`` is what stands between tokens on one line (" " for words, ", " for addresses);
    a fold replaces the space in it with CRLF + one space."""
    lines: list[str] = []
    cur = f"{name}:"
    for i, tok in enumerate(tokens):
        joiner = " " if i == 0 else sep
        if i > 0 and len(cur) + len(joiner) + len(tok) > SOFT_LIMIT:
            lines.append(cur + joiner.rstrip(" "))
            cur = " " + tok
        else:
            cur += joiner + tok
    lines.append(cur)
    for line in lines:
        if len(line) > HARD_LIMIT:
            raise HeaderError(f"{name}: a line of {len(line)} characters is over the limit")
    return "\r\n".join(lines)


_HEADER_NAME = re.compile(rb"^([!-9;-~]+):")


def check_header_block(block: bytes, expected: list[str]) -> None:
    """Refuse a header block that holds anything but the ``expected`` headers, in order.

    This is the last line of defence against header injection: whatever a field held,
    a header line we did not write makes the message fail to build."""
    if b"\r\n\r\n" in block or not block.endswith(b"\r\n"):
        raise HeaderError("the header block has an empty line or no final line break")
    lines = block[:-2].split(b"\r\n")
    names: list[str] = []
    for line in lines:
        if len(line) > HARD_LIMIT:
            raise HeaderError(f"a header line of {len(line)} octets is over the 998 limit")
        if b"\r" in line or b"\n" in line or b"\x00" in line or not line.isascii():
            raise HeaderError("a header line contains a bare CR, LF, NUL or non-ASCII byte")
        if line[:1] in (b" ", b"\t"):
            if not names:
                raise HeaderError("the header block starts with a continuation line")
            continue
        m = _HEADER_NAME.match(line)
        if not m:
            raise HeaderError(f"not a header line: {line[:40]!r}")
        names.append(m.group(1).decode("ascii").lower())
    if names != [n.lower() for n in expected]:
        raise HeaderError(f"unexpected headers: {names} (expected {expected})")
