"""The ``X-MSYS-API`` header: build, fold, unfold, parse.

Why this exists instead of letting ``email`` fold the header (research/reliability.md §1):
CPython folds inside JSON strings, and the relay unfolds by turning CRLF + whitespace into one
space, which changes the data; a value without whitespace is even rewritten as RFC 2047
encoded-words. So the value is compact, ``\\u``-escaped (pure ASCII) JSON, folded by us **only
between JSON tokens**, and emitted verbatim. Any unfolding (RFC 5322's, or the relay's) then
gives back the same object, since JSON ignores whitespace between tokens.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from composer.core.errors import HeaderError

__all__ = [
    "HEADER_NAME",
    "MAX_FOLDABLE_TOKEN",
    "MAX_LINE",
    "encode_json",
    "fold_json",
    "format_value",
    "longest_token",
    "parse_value",
    "unfold_relay",
    "unfold_rfc5322",
]

HEADER_NAME = "X-MSYS-API"
MAX_LINE = 998  # RFC 5322 §2.1.1: octets per physical line, CRLF excluded
_PREFIX_LEN = len(HEADER_NAME) + 2  # "X-MSYS-API: "
# A continuation line is " " + chunk, so one unbreakable token may take at most this much.
MAX_FOLDABLE_TOKEN = MAX_LINE - _PREFIX_LEN - 1


def encode_json(obj: Any) -> str:
    """Compact JSON, every non-ASCII and control character as a ``\\u`` escape."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _break_points(text: str) -> list[int]:
    """Offsets after which a fold may go: right after ``, : [ {`` outside strings."""
    points = []
    in_str = esc = False
    for i, c in enumerate(text):
        if in_str:
            if esc:
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in ",:[{":
            points.append(i + 1)
    return points


def longest_token(text: str) -> int:
    """Length of the longest run of ``text`` that no fold may split."""
    edges = [0, *_break_points(text), len(text)]
    return max(b - a for a, b in itertools.pairwise(edges))


def fold_json(text: str, first_budget: int = MAX_LINE - _PREFIX_LEN) -> list[str]:
    """Split compact JSON into chunks: the first at most ``first_budget`` characters, the
    others at most ``MAX_LINE - 1`` (each is emitted after CRLF and one space).

    Greedy: each line takes as many whole tokens as fit, which keeps the header short."""
    if len(text) <= first_budget:
        return [text]
    chunks: list[str] = []
    start = 0
    budget = first_budget
    points = _break_points(text)
    pi = 0
    while len(text) - start > budget:
        best = None
        while pi < len(points) and points[pi] - start <= budget:
            if points[pi] > start:
                best = points[pi]
            pi += 1
        if best is None:
            raise HeaderError(
                f"{HEADER_NAME}: a single value of more than {budget} characters cannot be "
                "folded safely"
            )
        chunks.append(text[start:best])
        start = best
        budget = MAX_LINE - 1
    chunks.append(text[start:])
    return chunks


def format_value(obj: dict[str, Any]) -> str:
    """The header value, folded with CRLF + one space where needed (no trailing CRLF)."""
    return "\r\n ".join(fold_json(encode_json(obj)))


_FOLD_RFC = re.compile(r"\r\n(?=[ \t])")
_FOLD_RELAY = re.compile(r"\r?\n[ \t]+")


def unfold_rfc5322(value: str) -> str:
    """RFC 5322 §2.2.3: remove each CRLF that is followed by whitespace, keep the whitespace."""
    return _FOLD_RFC.sub("", value)


def unfold_relay(value: str) -> str:
    """The relay's way (SMTP API, 'Comments on Header Length'): CRLF + whitespace becomes one
    space. Bare LF is accepted too, since a received message may have lost its CRs."""
    return _FOLD_RELAY.sub(" ", value)


def parse_value(value: str) -> Any:
    """Unfold the relay's way and parse. Raises ValueError (json.JSONDecodeError) when the
    value is not JSON."""
    return json.loads(unfold_relay(value).strip())
