"""A readable plain-text alternative generated from HTML: links kept as URLs, no tags.

Must never raise and never take long on any string (hostile or broken HTML included): every
message needs a text part, and the stdlib parser has quadratic corners on Python 3.11.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
import textwrap
from html.parser import HTMLParser
from urllib.parse import unquote

__all__ = ["html_to_text"]

_TEXT_WIDTH = 76

_SKIP = frozenset({"head", "style", "script", "title", "template"})
_HEAD_CONTENT = frozenset(
    {"title", "style", "script", "meta", "link", "base", "noscript", "template", "head"}
)
_PARAGRAPH = frozenset({"p", "table", "blockquote", "pre", "dl", "hr", "ul", "ol"})
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_LINE = frozenset(
    {
        "div", "tr", "li", "dd", "dt", "section", "article", "header", "footer", "nav", "main",
        "aside", "figure", "figcaption", "address", "center", "form", "fieldset", "caption",
        "details", "summary", "tbody", "thead", "tfoot",
    }
)  # fmt: skip
# Invisible characters (preheader padding, soft hyphens, C0 controls) go; no-break space is a
# space in plain text; a lone surrogate (possible from a JSON draft) would fail UTF-8 encoding.
_TRANSLATE: dict[int, str | None] = {}
_TRANSLATE.update({c: None for c in (0xAD, 0x34F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)})
_TRANSLATE.update({c: None for c in range(32) if c not in (9, 10, 13)})
_TRANSLATE.update({0x7F: None, 0xA0: " "})
_TRANSLATE.update({c: "\ufffd" for c in range(0xD800, 0xE000)})  # lone surrogates cannot be sent
_BROKEN_TAG = re.compile(r"<[A-Za-z/!?]")
_LONE_LT = re.compile(r"<(?![A-Za-z/!?])")
_MAX_NEST = 8  # deeper quotes and lists are indented no further


class _List:
    def __init__(self, ordered: bool, start: int) -> None:
        self.ordered = ordered
        self.counter = start
        self.indent = ""  # indent of the lines that continue the current item


def _neutralize(html: str) -> str:
    """Remove what ``HTMLParser`` handles badly before it sees it.

    Comments and ``<!...>`` declarations go (``<![foo[`` makes the 3.11 parser raise), and
    so does an unterminated tag at the very end (browsers drop it). Without a terminator further
    on, the stdlib parser rescans to the end of the text for every ``<`` — quadratic on a
    megabyte of hostile input. Linear: every ``find`` starts where the last one stopped.
    """
    out: list[str] = []
    i = 0
    n = len(html)
    while i < n:
        j = html.find("<!", i)
        if j < 0:
            out.append(html[i:])
            break
        out.append(html[i:j])
        if html.startswith("<!--", j):
            if html.startswith("<!-->", j):
                i = j + 5
                continue
            if html.startswith("<!--->", j):
                i = j + 6
                continue
            k = html.find("-->", j + 4)
            if k < 0:
                break  # an unterminated comment runs to the end
            i = k + 3
        else:
            k = html.find(">", j + 2)
            if k < 0:
                break
            i = k + 1
    text = "".join(out)
    last = text.rfind(">")
    m = _BROKEN_TAG.search(text, last + 1)
    if m:
        text = text[: m.start()]
    # A "<" that cannot start a tag is text; as an entity it joins the text around it instead
    # of costing the parser one call per character.
    return _LONE_LT.sub("&lt;", text)


def _same_link(text: str, url: str) -> bool:
    def norm(s: str) -> str:
        s = s.strip().lower()
        for scheme in ("https://", "http://", "mailto:"):
            if s.startswith(scheme):
                s = s[len(scheme) :]
                break
        return s.rstrip("/")

    return norm(text) == norm(url)


def _link_suffix(href: str, text: str) -> str:
    """What to write after a link's text so the reader can still follow it."""
    href = href.strip()
    low = href.lower()
    if not href or href.startswith("#") or low.startswith(("javascript:", "data:", "cid:")):
        return ""
    if low.startswith("mailto:"):
        url = unquote(href[len("mailto:") :].split("?", 1)[0]).strip()
    else:
        url = re.sub(r"\s+", "%20", href)
    if not url:
        return ""
    if not text:
        return f" {url} "
    if _same_link(text, url) or _same_link(text, href):
        return ""
    return f" ({url})"


class _TextExtractor(HTMLParser):
    """Collects readable text from HTML into wrapped lines; never raises on malformed input."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.blank = False  # the next emitted line wants a blank line before it
        self.skip: list[str] = []  # open elements whose content is not text (head, style, ...)
        self.pre = 0
        self.quote = 0
        self.heading = 0
        self.lists: list[_List] = []
        self.item_prefix: str | None = None  # "- " or "3. " waiting for the item's first line
        self.link: tuple[str, list[str]] | None = None  # the open <a>: href, text so far

    # -- parser callbacks

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip:
            if self.skip[-1] == "head" and tag not in _HEAD_CONTENT:
                self.skip.pop()  # like a browser: body content implicitly closes the head
            else:
                if tag in _SKIP:
                    self.skip.append(tag)
                return
        if tag in _SKIP:
            self.skip.append(tag)
        elif tag == "br":
            self._line_break()
        elif tag in _HEADINGS:
            self._paragraph()
            self.heading = _HEADINGS[tag]
        elif tag in ("ul", "ol"):
            self._flush()
            if not self.lists:
                self.blank = True
            start = 1
            if tag == "ol":
                try:
                    start = int(dict(attrs).get("start") or 1)
                except ValueError:
                    start = 1
            self.lists.append(_List(tag == "ol", start))
        elif tag == "li":
            self._flush()
            if self.lists and self.lists[-1].ordered:
                self.item_prefix = f"{self.lists[-1].counter}. "
                self.lists[-1].counter += 1
            else:
                self.item_prefix = "- "
        elif tag in _PARAGRAPH:
            self._paragraph()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "hr":
                self._emit(["-" * 40])
                self.blank = True
        elif tag in _LINE:
            self._flush()
        elif tag in ("td", "th"):
            self._add(" ")
        elif tag == "a":
            self._end_link()  # links do not nest: a new one closes the open one, as in browsers
            self.link = (dict(attrs).get("href") or "", [])
        elif tag == "img":
            alt = " ".join((dict(attrs).get("alt") or "").split())
            if alt:
                self._add(f"[{alt}]" if self.pre else f" [{alt}] ")

    def handle_endtag(self, tag: str) -> None:
        if self.skip:
            if tag in self.skip:
                while self.skip.pop() != tag:
                    pass
            return
        if tag in _HEADINGS:
            self._flush()
            self.heading = 0
            self.blank = True
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            if not self.lists:
                self.blank = True
        elif tag in _PARAGRAPH:
            self._flush()
            self.blank = True
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag in _LINE:
            self._flush()
        elif tag == "a":
            self._end_link()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if data.startswith("<") and _BROKEN_TAG.match(data):
            return  # a tag the parser could not finish (e.g. an unclosed quote): drop it
        self._add(data)

    # -- building lines

    def _add(self, text: str) -> None:
        text = text.translate(_TRANSLATE)
        self.buf.append(text)
        if self.link is not None:
            self.link[1].append(text)

    def _end_link(self) -> None:
        if self.link is None:
            return
        href, parts = self.link
        self.link = None
        suffix = _link_suffix(href, " ".join("".join(parts).split()))
        if suffix:
            self._add(suffix)

    def _line_break(self) -> None:
        if self.pre:
            self._add("\n")
        elif "".join(self.buf).strip():
            self._flush()
        else:
            self.buf = []
            if self.lines:
                self.blank = True

    def _paragraph(self) -> None:
        self._flush()
        self.blank = True

    def _indents(self) -> tuple[str, str]:
        """Indents of the first and the following lines of the text being flushed."""
        quote = "> " * min(self.quote, _MAX_NEST)
        base = "  " * (min(len(self.lists), _MAX_NEST) - 1) if self.lists else ""
        if self.item_prefix is not None:
            prefix, self.item_prefix = self.item_prefix, None
            cont = base + " " * len(prefix)
            if self.lists:
                self.lists[-1].indent = cont
            return quote + base + prefix, quote + cont
        cont = self.lists[-1].indent if self.lists else ""
        return quote + cont, quote + cont

    def _flush(self) -> None:
        if not self.buf:
            return
        raw = "".join(self.buf)
        self.buf = []
        if not raw.strip():
            return
        first, rest = self._indents()
        if self.pre:
            raw = raw.replace("\r\n", "\n").replace("\r", "\n")
            lines = [line.rstrip() for line in raw.split("\n")]
            while lines and not lines[0]:
                lines.pop(0)
            while lines and not lines[-1]:
                lines.pop()
            self._emit([(first if i == 0 else rest) + line for i, line in enumerate(lines)])
            return
        width = max(_TEXT_WIDTH, len(first) + 20, len(rest) + 20)
        lines = textwrap.wrap(
            " ".join(raw.split()),
            width=width,
            initial_indent=first,
            subsequent_indent=rest,
            break_long_words=False,
            break_on_hyphens=False,
        )
        if self.heading in (1, 2) and lines:
            longest = max(
                len(line) - len(first if i == 0 else rest) for i, line in enumerate(lines)
            )
            lines.append(rest + ("=" if self.heading == 1 else "-") * longest)
        self._emit(lines)

    def _emit(self, lines: list[str]) -> None:
        if not lines:
            return
        if self.blank and self.lines and self.lines[-1]:
            self.lines.append("")
        self.blank = False
        self.lines.extend(lines)

    def run(self, html: str) -> str:
        self.feed(_neutralize(html))
        self.close()
        self._end_link()
        self._flush()
        out: list[str] = []
        for line in self.lines:
            line = line.rstrip()
            if line or (out and out[-1]):
                out.append(line)
        while out and not out[-1]:
            out.pop()
        return "\n".join(out) + "\n"


_ANY_TAG = re.compile(r"<[^<>]*>")


def _crude_text(html: str) -> str:
    """Last resort if the parser ever fails: drop tags, decode entities, wrap."""
    text = html_lib.unescape(_ANY_TAG.sub(" ", html)).translate(_TRANSLATE)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    lines: list[str] = []
    for p in paragraphs:
        if p:
            if lines:
                lines.append("")
            lines.extend(textwrap.wrap(p, _TEXT_WIDTH, break_long_words=False))
    return "\n".join(lines) + "\n"


def html_to_text(html: str) -> str:
    """A readable plain-text alternative to an HTML body.

    Mail clients show it when they cannot (or will not) show HTML, and spam filters compare it
    with the HTML, so it keeps the words, the structure (headings, lists, quotes, paragraphs)
    and every link target as a visible URL. Uses the stdlib parser, which tolerates malformed
    HTML; any input gives a result ending in one newline, never an exception.
    """
    try:
        return _TextExtractor().run(html)
    except Exception:  # any str must give a text part; a crude one beats failing the send
        logging.getLogger(__name__).exception("html_to_text: parser failed, using fallback")
        return _crude_text(html)
