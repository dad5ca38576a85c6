"""The final HTML parsed once, and the way back from its elements to the source the person edits.

Findings are made on the HTML that goes out (after local inlining, inside the Markdown
template), but a finding must point at the line the person can fix. ``Doc.where(el)`` maps an
element back:

- the HTML body (or the AMP part) as typed: the element is the n-th of its kind in the final
  HTML, where "its kind" is the tag plus its ``src``/``href`` when it has one (an inliner adds
  and rewrites ``style`` attributes but keeps tags, ``src`` and ``href``), so it is the n-th of
  that kind in the source: libxml2 gives its line, and the column is that of its ``<tag``;
- a Markdown body: the line of the n-th occurrence of the link's or image's URL in the Markdown
  text, else the line holding the start of the element's text (a heading); elements of
  Composer's own template have no line.

Parsing is lxml's HTML parser (libxml2; fast and it keeps unknown tags such as ``amp-img``).
Trees are cached per HTML string, so every family shares one parse per run; nobody may mutate
a tree.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from lxml import etree
from lxml.etree import _Element

from composer.core.checks.model import CheckInput, Where
from composer.core.draft import BodyFormat

__all__ = [
    "Doc",
    "amp_doc",
    "describe",
    "html_doc",
    "key_of",
    "nth_of_key",
    "parse_html",
    "text_of",
]

SourceKind = Literal["html", "markdown"]


# One parser per thread: an lxml parser must not be used by two threads at once, and the
# window checks on a worker while a send may check on another.
_LOCAL = threading.local()


def _parser() -> etree.HTMLParser:
    parser: etree.HTMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = etree.HTMLParser(encoding="utf-8")
    return parser


@functools.lru_cache(maxsize=8)
def parse_html(html: str) -> _Element:
    """The document element of ``html`` (an empty <html> for an empty or unparsable string).

    lxml.etree's HTML parser rather than lxml.html's: lxml.html looks up a Python class for
    every element it hands out, which was a third of the checks' time on a large template.
    Bytes, not str: lxml refuses a str that declares its own encoding."""
    parser = _parser()
    root = etree.fromstring(html.encode("utf-8", "replace"), parser) if html.strip() else None
    if root is None:
        root = etree.fromstring(b"<html></html>", parser)
    return root


def key_of(el: _Element) -> tuple[str, str | None]:
    """What the way back matches on: the tag, and the ``src`` or ``href`` when there is one."""
    return str(el.tag), el.get("src") or el.get("href")


def text_of(el: _Element) -> str:
    """The element's text with its descendants', whitespace collapsed."""
    return " ".join("".join(el.itertext()).split())


@functools.lru_cache(maxsize=8)
def _source_index(source: str) -> dict[tuple[str, str | None], list[tuple[int, int]]]:
    """(tag, src-or-href) -> (line, k) of each such element in the source: libxml2 gives the
    line its start tag ends on, and it is the k-th element of its tag ending on that line.
    ``_locate`` turns that into a column, only for the elements a finding is about."""
    root = parse_html(source)
    index: dict[tuple[str, str | None], list[tuple[int, int]]] = {}
    on_line: dict[tuple[str, int], int] = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.sourceline is None:
            continue
        tag, line = el.tag, int(el.sourceline)
        k = on_line.get((tag, line), 0)
        on_line[(tag, line)] = k + 1
        index.setdefault((tag, el.get("src") or el.get("href")), []).append((line, k))
    return index


class _Text:
    """A source's lines, and where each tag starts on a line (found once per line and tag:
    a whole body on one line must not be scanned again for every element on it)."""

    def __init__(self, source: str) -> None:
        self.lines = source.split("\n")
        self._starts: dict[tuple[int, str], list[int]] = {}

    def starts(self, line: int, tag: str) -> list[int]:
        key = (line, tag)
        found = self._starts.get(key)
        if found is None:
            found = self._starts[key] = _tag_starts(self.lines[line - 1], tag)
        return found


@functools.lru_cache(maxsize=8)
def _lines(source: str) -> _Text:
    return _Text(source)


def _tag_starts(text: str, tag: str) -> list[int]:
    """Offsets of ``<tag`` in one line of source, followed by a character that ends a name."""
    low, needle, out, i = text.lower(), "<" + tag, [], 0
    while (i := low.find(needle, i)) >= 0:
        end = i + len(needle)
        if end == len(low) or low[end] in " \t\r\n/>":
            out.append(i)
        i = end
    return out


def _locate(text: _Text, tag: str, line: int, k: int) -> tuple[int, int | None]:
    if not 0 < line <= len(text.lines):
        return line, None
    starts = text.starts(line, tag)
    if k < len(starts):
        return line, starts[k] + 1
    for up in range(line - 1, max(0, line - 8), -1):  # a start tag over several lines
        starts = text.starts(up, tag)
        if starts:
            return up, starts[-1] + 1
    return line, None


def describe(el: _Element, limit: int = 80) -> str:
    """A short rendering of an element's start tag: the tag and its telling attributes."""
    bits = [str(el.tag)]
    for name in ("src", "href", "alt", "role", "lang", "rel"):
        value = el.get(name)
        if value is not None:
            shown = value if len(value) <= 48 else value[:45] + "..."
            bits.append(f'{name}="{shown}"')
    text = "<" + " ".join(bits) + ">"
    return text if len(text) <= limit else text[: limit - 4] + "...>"


@dataclass
class Doc:
    """One final HTML part, parsed, with its source. ``part`` is what findings point into."""

    part: str  # "html", "markdown" or "amp"
    html: str  # the final HTML
    source: str  # what the person edits: the HTML body, the Markdown body or the AMP part
    kind: SourceKind
    root: _Element = field(init=False)
    _nth: dict[_Element, tuple[tuple[str, str | None], int]] | None = field(
        default=None, init=False
    )
    _lines: list[str] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.root = parse_html(self.html)

    @property
    def identical(self) -> bool:
        """The final HTML is the source as typed (no local inlining, not Markdown)."""
        return self.kind == "html" and self.html == self.source

    def user_elements(self) -> Iterator[_Element]:
        """The elements the person wrote: all of them for an HTML body; for a Markdown body
        only those inside the template's content cell (the template is Composer's)."""
        if self.kind != "markdown":
            yield from self.elements()
            return
        for cell in self.root.iter("td"):
            if "content" in (cell.get("class") or "").split():
                for el in cell.iterdescendants():
                    if isinstance(el.tag, str):
                        yield el
                return

    def elements(self) -> Iterator[_Element]:
        """Every element in document order (no comments or processing instructions)."""
        for el in self.root.iter():
            if isinstance(el.tag, str):
                yield el

    @property
    def head(self) -> _Element | None:
        return self.root.find("head")

    @property
    def body(self) -> _Element | None:
        return self.root.find("body")

    # --- the way back to the source ---------------------------------------------------------

    def where(self, el: _Element) -> Where:
        key, n = self._nth_of_key(el)
        return self.where_key(key, n, el)

    def where_key(self, key: tuple[str, str | None], n: int, el: _Element | None = None) -> Where:
        """Where the n-th element of ``key`` (tag, src-or-href) of the final HTML came from.
        For an element of another tree made from this HTML (an inlined copy, say)."""
        if self.kind == "markdown":
            line, col = self._markdown_pos(key, n, el)
        else:
            line, col = self._html_pos(key, n)
        element = describe(el) if el is not None else f"<{key[0]}>"
        return Where(self.part, line, col, element)

    def where_text(self, needle: str, nth: int = 0, *, element: str | None = None) -> Where:
        """The n-th occurrence of ``needle`` in the source (a CSS declaration, say)."""
        pos = self._find(needle, nth)
        return Where(self.part, pos[0] if pos else None, pos[1] if pos else None, element)

    def where_pattern(self, pattern: re.Pattern[str], *, element: str | None = None) -> Where:
        m = pattern.search(self.source)
        if m is None:
            return Where(self.part, None, None, element)
        line, col = self._line_col(m.start())
        return Where(self.part, line, col, element)

    def _nth_of_key(self, el: _Element) -> tuple[tuple[str, str | None], int]:
        if self._nth is None:
            self._nth = nth_of_key(self.root)
        return self._nth.get(el, (key_of(el), -1))

    def _html_pos(self, key: tuple[str, str | None], n: int) -> tuple[int | None, int | None]:
        # Without local inlining the final HTML is the source: its parse is the one shared.
        text = self.html if self.identical else self.source
        spots = _source_index(text).get(key, [])
        if 0 <= n < len(spots):
            line, k = spots[n]
            return _locate(_lines(text), key[0], line, k)
        return None, None

    def _markdown_pos(
        self, key: tuple[str, str | None], n: int, el: _Element | None
    ) -> tuple[int | None, int | None]:
        if key[1]:
            pos = self._find(key[1], n)
            if pos is not None:
                return pos
        text = text_of(el)[:40] if el is not None else ""
        if text:
            pos = self._find(text, 0)
            if pos is not None:
                # Raw HTML in Markdown (<div style=...>text): the tag's column on that line.
                starts = _lines(self.source).starts(pos[0], key[0])
                return pos[0], (starts[0] + 1 if starts and starts[0] < pos[1] else None)
        return None, None

    def _find(self, needle: str, nth: int) -> tuple[int, int] | None:
        start = -1
        for _ in range(nth + 1):
            start = self.source.find(needle, start + 1)
            if start < 0:
                return None
        return self._line_col(start)

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = self.source.count("\n", 0, offset) + 1
        return line, offset - (self.source.rfind("\n", 0, offset) + 1) + 1


def nth_of_key(root: _Element) -> dict[_Element, tuple[tuple[str, str | None], int]]:
    """element -> (its key, its index among elements of that key), for any tree.

    Keyed by the element objects themselves, which keeps them alive: lxml makes a new proxy
    object (with a new id) for a node whose proxy was freed, so ids would not be stable."""
    seen: dict[tuple[str, str | None], int] = {}
    out: dict[_Element, tuple[tuple[str, str | None], int]] = {}
    for el in root.iter():
        if isinstance(el.tag, str):
            k = key_of(el)
            out[el] = (k, seen.get(k, 0))
            seen[k] = seen.get(k, 0) + 1
    return out


@functools.lru_cache(maxsize=8)
def _doc(part: str, html: str, source: str, kind: SourceKind) -> Doc:
    return Doc(part, html, source, kind)


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def html_doc(inp: CheckInput) -> Doc | None:
    """The final HTML part, or None for a plain-text message. Cached: one parse per run."""
    html = inp.rendered.html
    if html is None:
        return None
    if inp.draft.body_format == BodyFormat.MARKDOWN:
        return _doc("markdown", html, _lf(inp.draft.body), "markdown")
    return _doc("html", html, _lf(inp.draft.body), "html")


def amp_doc(inp: CheckInput) -> Doc | None:
    """The AMP part (as typed: nothing rewrites it), or None when there is none."""
    amp = inp.rendered.amp
    if amp is None:
        return None
    return _doc("amp", amp, amp, "html")
