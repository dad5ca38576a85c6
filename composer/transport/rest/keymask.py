"""The API key taken out of anything the server said before it is shown or stored.

Some servers (and proxies, and portals in front of them) echo what they were sent. Masking the
raw bytes is not enough: the key comes back JSON-escaped (``\\u0053ECRET``, decoded only when
the body is parsed), URL-encoded in a ``Location`` (``%53ECRET``), base64 (an ``Authorization``
header quoted whole), in another case or reversed. ``hide_key`` decodes the escapes a reader
would, then masks every form; ``hide_in_error`` applies it to an error's every text, once, where
an answer becomes a result (RestSession.send / request).
"""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote

from composer.core.errors import TransportError

__all__ = ["HIDDEN", "hide_in_error", "hide_key"]

HIDDEN = "[key hidden]"
_U_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")


def _unescape(text: str) -> str:
    """JSON and URL escapes decoded, as the person's eye (or a browser) would read them."""
    for _ in range(3):  # %2553... or \\u0025 nested: a few rounds, bounded
        decoded = unquote(_U_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text))
        if decoded == text:
            break
        text = decoded
    return text


def _base64_forms(key: str) -> list[str]:
    """The key's base64 at each of the 3 alignments it can have inside a longer encoded text,
    without the characters at the edges that depend on the bytes around it."""
    raw = key.encode("utf-8", "replace")
    forms = []
    for pad in range(3):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            text = enc(b"\0" * pad + raw).decode("ascii").rstrip("=")
            start = (pad * 4 + 2) // 3  # characters that still hold the pad bytes
            core = text[start : len(text) - 1]  # the last may hold bits of what follows
            if len(core) >= 8:
                forms.append(core)
    return forms


def hide_key(text: str, key: str) -> str:
    """``text`` with the key replaced by [key hidden] in every form it may come back in."""
    if not key or not text:
        return text
    if len(key) < 4:
        return text.replace(key, HIDDEN)  # too short to look for in disguise
    unescaped = _unescape(text)
    forms = [key, key[::-1], *_base64_forms(key)]
    out = unescaped
    for form in forms:
        out = re.sub(re.escape(form), HIDDEN, out, flags=re.IGNORECASE)
    if out == unescaped:
        return text  # nothing hidden: the server's text as it was
    return out


def hide_in_error(exc: TransportError, key: str) -> TransportError:
    """The same error, every text in it (message, reply, refused recipients) without the key."""
    if exc.args and isinstance(exc.args[0], str):
        exc.args = (hide_key(exc.args[0], key), *exc.args[1:])
    if isinstance(getattr(exc, "reply", None), str):
        exc.reply = hide_key(exc.reply, key)  # type: ignore[attr-defined]
    refused = getattr(exc, "refused", None)
    if isinstance(refused, dict):
        for who, (code, words) in list(refused.items()):
            refused[who] = (code, hide_key(words, key))
    cause = exc.__cause__
    if cause is not None and cause.args and isinstance(cause.args[0], str):
        cause.args = (hide_key(cause.args[0], key), *cause.args[1:])
    return exc
