"""Reading what a person (or a stranger) hands us: a file, or JSON text, without surprises.

``read_regular_file`` opens without blocking (a FIFO with no writer would otherwise hang the
open), refuses anything that is not a regular file (``/dev/zero`` never ends, a FIFO may never
answer) and reads at most ``limit`` bytes. ``loads`` is ``json.loads`` made strict: the
values it returns can be sent (no NaN or Infinity, which JSON does not have; no lone
surrogate, which no encoder can write; no 4300-digit number, which Python refuses to print;
no nesting deeper than ``MAX_DEPTH``), and a refusal names where in the document it is.

Errors are ``InputError`` (a ``ValueError``): one sentence, no field name; the caller knows
which flag or file it read and puts that name first.
"""

from __future__ import annotations

import json
import math
import os
import stat
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "InputError",
    "JsonSyntaxError",
    "JsonValueError",
    "check_text",
    "decode_utf8",
    "loads",
    "read_limited",
    "read_regular_file",
    "shown",
]

MAX_DEPTH = 32  # no draft or relay field needs more; the JSON codecs fail near 1000
MAX_DIGITS = 30  # more than any 64-bit or decimal value the relay takes
_TOO_DEEP = f"is nested too deeply (more than {MAX_DEPTH} levels)"
_MAX_BITS = 100  # 2**100 has 31 digits: the same bound for a value that was never text


class InputError(ValueError):
    """Input we refuse; the message is one sentence a person can act on."""


class FileTooLarge(InputError):
    """A file over the caller's size limit; nothing past the limit was read."""


class JsonValueError(InputError):
    """A JSON value we refuse, with where it is (``tags[0]``, ``metadata.k``; '' = the whole)."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


class JsonSyntaxError(JsonValueError):
    """The text is not JSON at all (as opposed to JSON holding a value we refuse)."""


def shown(text: str, limit: int = 80) -> str:
    """A path or value fit for one line of an error: an undecodable byte shown as ``\\xff``,
    a control character escaped (a newline in a file name must not start a second line),
    shortened when long."""
    if len(text) > limit:
        text = text[:limit] + "…"
    try:
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte (from JSON)
        text = text.encode("utf-8", "backslashreplace").decode("ascii")
    return "".join(ascii(c)[1:-1] if ord(c) < 32 or ord(c) == 0x7F else c for c in text)


def check_text(text: str) -> None:
    """Raise InputError when ``text`` holds a surrogate: from argv or the environment that is
    a byte sequence that is not UTF-8; from JSON a ``\\ud800`` escape standing alone."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise InputError("not valid UTF-8")


def read_regular_file(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. A path is bytes on Linux: a
    name that is not UTF-8 (a str with surrogate escapes) is opened like any other."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError("file not found") from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"cannot open it: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise InputError("is not a regular file (a device, pipe or socket); give a file")
        if st.st_size > limit:
            raise FileTooLarge(f"is larger than the {_size(limit)} limit")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while we read
                raise FileTooLarge(f"is larger than the {_size(limit)} limit")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read it: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_limited(stream: Any, limit: int) -> bytes:
    """At most ``limit`` bytes from a binary stream (standard input); more is an error, and
    what lies beyond the limit is never read (``/dev/zero`` on stdin ends here)."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"is larger than the {_size(limit)} limit")
    return bytes(data)


def decode_utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")  # strict: an encoded surrogate is refused here too
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 text (byte {exc.start})") from None


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB"


class _Bad:
    """What the parser hooks leave in place of a value we refuse, so that ``_check`` can say
    where it was."""

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _parse_int(text: str) -> Any:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        return _Bad(f"a number of {digits} digits is not valid JSON here (at most {MAX_DIGITS})")
    return int(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    if not math.isfinite(value):
        return _Bad(f"{shown(text, 20)} overflows to Infinity; Infinity is not a JSON number")
    return value


def _parse_constant(name: str) -> Any:
    return _Bad(f"{name} is not a JSON number (use a number, or quote it as text)")


def loads(text: str) -> Any:
    """Strict JSON: refused values raise JsonValueError naming their place."""
    deep = _too_deep(text) if len(text) > 2 * MAX_DEPTH else None
    if deep is not None:
        raise JsonValueError(shown(deep, 40), _TOO_DEEP)
    try:
        value = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(
            "", f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:  # _too_deep missed it (it cannot: a last line of defence)
        raise JsonValueError("", _TOO_DEEP) from None
    check(value)
    return value


def _too_deep(text: str) -> str | None:
    """Nesting depth counted outside strings, before the parser recurses into it: None when
    within MAX_DEPTH, else the top-level key it happened under ('' when there is none)."""
    depth = 0
    in_string = escaped = False
    start = 0
    key = ""
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
                if depth == 1:  # a top-level key (or a value; a nested value follows a key)
                    key = text[start + 1 : i]
        elif ch == '"':
            in_string = True
            start = i
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return key
        elif ch in "]}":
            depth -= 1
    return None


def check(value: Any, where: str = "") -> None:
    """Raise JsonValueError for the first value that cannot be sent, naming its place:
    a hook's refusal, a lone surrogate in a string or key, or nesting beyond MAX_DEPTH."""
    stack: list[tuple[Any, str, int]] = [(value, where, 0)]
    while stack:
        item, place, depth = stack.pop()
        if isinstance(item, _Bad):
            raise JsonValueError(place, item.why)
        if isinstance(item, str):
            _check_string(item, place)
        elif isinstance(item, float) and not math.isfinite(item):
            raise JsonValueError(place, f"{item} is not a JSON number")
        elif isinstance(item, int) and item.bit_length() > _MAX_BITS:
            raise JsonValueError(place, f"a number of more than {MAX_DIGITS} digits")
        elif isinstance(item, (dict, list)):
            if depth >= MAX_DEPTH:
                top = place.split(".")[0].split("[")[0]
                raise JsonValueError(top, _TOO_DEEP)
            if isinstance(item, dict):
                for key, sub in reversed(list(item.items())):
                    _check_string(key, place)
                    stack.append((sub, _join(place, key), depth + 1))
            else:
                for i in range(len(item) - 1, -1, -1):
                    stack.append((item[i], f"{place}[{i}]", depth + 1))


def _check_string(text: str, place: str) -> None:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise JsonValueError(place, "holds a lone surrogate (a \\ud800-\\udfff escape), not text")


def _join(place: str, key: str) -> str:
    part = shown(key, 40)
    return f"{place}.{part}" if place else part
