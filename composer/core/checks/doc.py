"""The final HTML parsed once, and the way back from its elements to the source the person edits.

Findings are made on the HTML that goes out (after local inlining, inside the Markdown
template), but a finding must point at the line the person can fix. ``Doc.where(el)`` maps an
element back:

- the HTML body (or the AMP part) as typed: the element is the n-th of its kind in the final
  HTML, where "its kind" is the tag plus its ``src``/``href`` when it has one (an inliner adds
  and rewrites ``style`` attributes but keeps tags, ``src`` and ``href``), so it is the n-th of
  that kind in the source, whose start tags ``html.parser`` locates exactly (line and column);
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal

import lxml.html
from lxml.etree import ParserError, _Element

from composer.core.checks.model import CheckInput, Where
from composer.core.draft import BodyFormat

__all__ = ["Doc", "amp_doc", "describe", "html_doc", "key_of", "nth_of_key", "parse_html"]

SourceKind = Literal["html", "markdown"]


@functools.lru_cache(maxsize=8)
def parse_html(html: str) -> _Element:
    """The document element of ``html`` (an empty <html> for an empty or unparsable string)."""
    try:
        return lxml.html.document_fromstring(html)
    except (ParserError, ValueError):
        return lxml.html.document_fromstring("<html></html>")


def key_of(el: _Element) -> tuple[str, str | None]:
    """What the way back matches on: the tag, and the ``src`` or ``href`` when there is one."""
    return _key(str(el.tag), dict(el.attrib))


def _key(tag: str, attrs: dict[str, str | None]) -> tuple[str, str | None]:
    return tag, attrs.get("src") or attrs.get("href")


class _StartTags(HTMLParser):
    """Every start tag of an HTML source: (tag, attributes, line, column), in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None], int, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, offset = self.getpos()
        self.tags.append((tag, dict(attrs), line, offset + 1))


@functools.lru_cache(maxsize=8)
def _source_index(source: str) -> dict[tuple[str, str | None], list[tuple[int, int]]]:
    """(tag, src-or-href) -> the (line, column) of each such start tag in the source."""
    parser = _StartTags()
    parser.feed(source)
    parser.close()
    index: dict[tuple[str, str | None], list[tuple[int, int]]] = {}
    for tag, attrs, line, col in parser.tags:
        index.setdefault(_key(tag, attrs), []).append((line, col))
    return index


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
    _by_key: dict[tuple[str, str | None], list[_Element]] | None = field(default=None, init=False)
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

    def where_key(
        self, key: tuple[str, str | None], n: int, el: _Element | None = None
    ) -> Where:
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
        if self._by_key is None:
            self._by_key = {}
            for e in self.elements():
                self._by_key.setdefault(_key(str(e.tag), dict(e.attrib)), []).append(e)
        key = _key(str(el.tag), dict(el.attrib))
        same = self._by_key.get(key, [])
        return key, next((i for i, e in enumerate(same) if e is el), -1)

    def _html_pos(self, key: tuple[str, str | None], n: int) -> tuple[int | None, int | None]:
        spots = _source_index(self.source).get(key, [])
        if 0 <= n < len(spots):
            return spots[n]
        return None, None

    def _markdown_pos(
        self, key: tuple[str, str | None], n: int, el: _Element | None
    ) -> tuple[int | None, int | None]:
        if key[1]:
            pos = self._find(key[1], n)
            if pos is not None:
                return pos
        text = " ".join((el.text_content() or "").split())[:40] if el is not None else ""
        if text:
            pos = self._find(text, 0)
            if pos is not None:
                return pos[0], None
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


def nth_of_key(root: _Element) -> dict[int, tuple[tuple[str, str | None], int]]:
    """id(element) -> (its key, its index among elements of that key), for any tree."""
    seen: dict[tuple[str, str | None], int] = {}
    out: dict[int, tuple[tuple[str, str | None], int]] = {}
    for el in root.iter():
        if isinstance(el.tag, str):
            k = key_of(el)
            out[id(el)] = (k, seen.get(k, 0))
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
