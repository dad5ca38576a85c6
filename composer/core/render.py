"""Turn a Draft's body into the parts that are sent: HTML, plain text and AMP.

One function, ``render``, serves the preview and the send path, so what a person previews is
what goes out. Everything here is pure (no Qt, no network, no files but our own template) and
safe to call from several threads at once: the preview renders on a worker while a send may
render on another.
"""

from __future__ import annotations

import functools
import html as html_lib
import logging
import os
import re
import textwrap
import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote

import markdown

from composer.core.draft import BodyFormat, Draft
from composer.core.errors import ComposerError
from composer.core.resources import resource_path

__all__ = [
    "Rendered",
    "html_to_text",
    "inline_css",
    "markdown_to_html",
    "render",
    "strip_css_imports",
    "wrap_in_template",
]

# premailer sizes its module-level cache from this variable when it is first imported. The stock
# 128 entries keep the first template's entries forever and make every later one slow.
os.environ.setdefault("PREMAILER_CACHE_MAXSIZE", "100000")

_MD_EXTENSIONS = ("tables", "fenced_code", "sane_lists")
_TEXT_WIDTH = 76


# --- Markdown and the template ----------------------------------------------------------------


def markdown_to_html(text: str) -> str:
    """Markdown to an HTML fragment (tables, fenced code, sane lists).

    A new ``Markdown`` per call: an instance keeps per-document state, and the preview and a
    send may convert at the same time on different threads. Raw HTML passes through on purpose:
    people paste snippets (buttons, banners) into Markdown bodies.
    """
    md = markdown.Markdown(extensions=list(_MD_EXTENSIONS), output_format="html")
    return md.convert(text)


_PLACEHOLDER = re.compile(r"\{\{(title|body)\}\}")


@functools.cache
def _template_parts() -> tuple[str, ...]:
    """The template split around its placeholders: literal, name, literal, name, literal.

    Splitting once (rather than ``str.replace`` twice) means a title containing ``{{body}}``, or
    a body containing ``{{title}}``, is never substituted a second time.
    """
    text = resource_path("email_template.html").read_text(encoding="utf-8")
    parts = tuple(_PLACEHOLDER.split(text))
    if sorted(parts[1::2]) != ["body", "title"]:
        raise RuntimeError("email_template.html must hold {{title}} and {{body}} once each")
    return parts


def wrap_in_template(body_html: str, title: str) -> str:
    """Put an HTML fragment into the email-safe page template, with ``title`` HTML-escaped.

    Literal substitution, not ``str.format`` or ``string.Template``: bodies contain ``{`` (CSS,
    code) and ``$`` (prices) that those would treat as syntax.
    """
    values = {"title": html_lib.escape(title), "body": body_html}
    parts = _template_parts()
    return "".join(values[p] if i % 2 else p for i, p in enumerate(parts))


# --- @import removal ---------------------------------------------------------------------------

# An at-keyword, escapes included: cssutils decodes "@\69mport" to @import and fetches it.
_AT_KEYWORD = re.compile(r"@((?:[-\w]|\\[0-9a-fA-F]{1,6}[ \t\r\n\f]?|\\[^\r\n\f0-9a-fA-F])+)")
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\\(.)", re.S)
_CSS_INTERESTING = re.compile(r"/\*|[\"'@]")
_CSS_STRING = {
    '"': re.compile(r'"(?:[^"\\\n]|\\[\s\S])*"?'),
    "'": re.compile(r"'(?:[^'\\\n]|\\[\s\S])*'?"),
}
_IMPORT_END = re.compile(r"/\*|[\"'();}]")


def _css_unescape(name: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1):
            code = int(m.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF else "\ufffd"
        return m.group(2)

    return _CSS_ESCAPE.sub(one, name)


def _skip_css_string(css: str, i: int) -> int:
    """Index just past the string starting at ``i`` (an unterminated one ends at the line)."""
    m = _CSS_STRING[css[i]].match(css, i)
    return m.end() if m else i + 1


def _skip_css_comment(css: str, i: int) -> int:
    end = css.find("*/", i + 2)
    return len(css) if end < 0 else end + 2


def _end_of_import(css: str, i: int) -> int:
    """Index just past the ``@import`` rule whose prelude starts at ``i``.

    It ends at ``;`` outside strings and brackets, before a ``}`` that closes an enclosing block,
    or at the end of the text: what a CSS parser would take as the rule.
    """
    depth = 0
    n = len(css)
    while i < n:
        m = _IMPORT_END.search(css, i)
        if m is None:
            return n
        tok = m.group()
        if tok == "/*":
            i = _skip_css_comment(css, m.start())
        elif tok in _CSS_STRING:
            i = _skip_css_string(css, m.start())
        elif tok == "(":
            depth, i = depth + 1, m.end()
        elif tok == ")":
            depth, i = max(0, depth - 1), m.end()
        elif tok == ";" and depth == 0:
            return m.end()
        elif tok == "}" and depth == 0:
            return m.start()
        else:
            i = m.end()
    return n


def _strip_imports_in_css(css: str) -> str:
    """Remove every ``@import`` rule from a style sheet, skipping comments and strings."""
    if "@" not in css:
        return css
    out: list[str] = []
    i = 0
    n = len(css)
    while i < n:
        m = _CSS_INTERESTING.search(css, i)
        if m is None:
            out.append(css[i:])
            break
        start = m.start()
        out.append(css[i:start])
        tok = m.group()
        if tok == "/*":
            i = _skip_css_comment(css, start)
            out.append(css[start:i])
        elif tok in _CSS_STRING:
            i = _skip_css_string(css, start)
            out.append(css[start:i])
        else:
            kw = _AT_KEYWORD.match(css, start)
            if kw and _css_unescape(kw.group(1)).lower() == "import":
                i = _end_of_import(css, kw.end())
            else:
                out.append("@")
                i = start + 1
    return "".join(out)


_STYLE_OPEN = re.compile(r"<style\b[^>]*>", re.I)
_STYLE_CLOSE = re.compile(r"</style\b[^>]*>", re.I)


def strip_css_imports(html: str) -> str:
    """Remove ``@import`` rules from every ``<style>`` block of an HTML document.

    cssutils (inside premailer) fetches ``@import url(...)`` over the network by itself on every
    cache miss, and no premailer option stops it; a preview must never touch the network. The
    rest of the document is returned byte for byte.
    """
    out: list[str] = []
    pos = 0
    while True:
        m = _STYLE_OPEN.search(html, pos)
        if m is None:
            out.append(html[pos:])
            return "".join(out)
        out.append(html[pos : m.end()])
        close = _STYLE_CLOSE.search(html, m.end())
        end = close.start() if close else len(html)
        out.append(_strip_imports_in_css(html[m.end() : end]))
        pos = end


# --- CSS inlining -------------------------------------------------------------------------------

_IGNORE_ATTR = "data-premailer"
_DOCTYPE_FIRST = re.compile(r"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<!doctype", re.I | re.S)
# cssutils keeps global state, and premailer mutates the parsed sheets it caches (it adds
# !important to kept @media rules), so two threads inlining the same CSS would race.
_INLINE_LOCK = threading.Lock()


def _premailer_options() -> dict[str, Any]:
    return {
        "allow_network": False,  # never fetch <link rel=stylesheet>
        "allow_loading_external_files": False,
        "strip_important": False,  # keeps !important in the @media rules it leaves in <style>
        "keep_style_tags": False,
        "remove_classes": False,
        "disable_validation": True,
        "disable_link_rewrites": True,
        "cssutils_logging_level": logging.CRITICAL,
    }


def inline_css(html: str) -> str:
    """Move the CSS of ``<head>`` style sheets into ``style`` attributes, as the relay does.

    Like the relay's ``inline_css`` option, only rules in ``head > style`` are inlined: a
    ``<style>`` anywhere else (in the body) is left exactly as it is, and ``<link
    rel=stylesheet>`` is neither fetched nor removed. Rules that cannot be inlined (``@media``,
    ``:hover``) stay in a ``<style>`` in the head. ``@import`` rules are removed from the head
    sheets first, because cssutils would fetch them.

    premailer is imported here, not at module level: importing it costs ~170 ms of start-up.
    Raises ComposerError when premailer or lxml fail on hostile input.
    """
    if not html.strip():
        return html
    from lxml import etree  # premailer's own dependency; lazy for the same reason
    from premailer import Premailer

    try:
        data = html.encode("utf-8", "replace")  # bytes: lxml refuses str with <?xml encoding?>
        root = etree.fromstring(data, etree.HTMLParser(encoding="utf-8"))
        if root is None:
            return html
        ignored: list[tuple[Any, str | None]] = []
        for style in root.iter("style"):
            parent = style.getparent()
            if parent is not None and parent.tag == "head":
                style.text = _strip_imports_in_css(style.text or "")
            else:
                ignored.append((style, style.get(_IGNORE_ATTR)))
                style.set(_IGNORE_ATTR, "ignore")  # premailer skips it and drops the attribute
        with _INLINE_LOCK:
            tree = Premailer(**_premailer_options()).transform(root)
        for style, original in ignored:
            if original is None:
                style.attrib.pop(_IGNORE_ATTR, None)
            else:
                style.set(_IGNORE_ATTR, original)
        # lxml invents an HTML 4 doctype for documents without one; keep only a real one.
        node = tree if _DOCTYPE_FIRST.match(html) else tree.getroot()
        return etree.tostring(node, method="html", encoding="unicode")
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ComposerError(f"body: CSS inlining failed: {detail}") from exc


# --- HTML to plain text --------------------------------------------------------------------------

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
# space in plain text.
_TRANSLATE = {c: None for c in (0xAD, 0x34F, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)}
_TRANSLATE.update({c: None for c in range(32) if c not in (9, 10, 13)})
_TRANSLATE.update({0x7F: None, 0xA0: " "})
_BROKEN_TAG = re.compile(r"<[A-Za-z/!?]")
_MAX_NEST = 8  # deeper quotes and lists are indented no further


class _List:
    def __init__(self, ordered: bool, start: int) -> None:
        self.ordered = ordered
        self.counter = start
        self.indent = ""  # indent of the lines that continue the current item


def _neutralize(html: str) -> str:
    """Remove what ``HTMLParser`` handles badly before it sees it.

    Comments and ``<!...>`` declarations go (a ``<![if mso]>`` makes the 3.11 parser raise), and
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
    return text[: m.start()] if m else text


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
        self.links: list[tuple[str, list[str]]] = []

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
            self.links.append((dict(attrs).get("href") or "", []))
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
        elif tag == "a" and self.links:
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
        for _, parts in self.links:
            parts.append(text)

    def _end_link(self) -> None:
        href, parts = self.links.pop()
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
        while self.links:
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


# --- render -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """The parts of a message body. ``html`` is None for a plain-text body."""

    html: str | None
    text: str
    amp: str | None


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def render(draft: Draft) -> Rendered:
    """Render a Draft's body exactly as it will be sent (the preview shows this too).

    Markdown is converted and wrapped in the email template (titled with the subject); HTML is
    used as given; text has no HTML part. With ``inline_locally`` the CSS is inlined here rather
    than by the relay. The plain-text part is the person's own ``plain_text`` when they wrote
    one, else generated from the HTML. Line endings are LF; the MIME layer makes them CRLF.
    """
    html: str | None
    if draft.body_format == BodyFormat.MARKDOWN:
        html = wrap_in_template(markdown_to_html(draft.body), draft.subject)
    elif draft.body_format == BodyFormat.HTML:
        html = draft.body
    else:
        html = None
    if html is not None:
        html = _lf(html)
        if draft.inline_locally:
            html = _lf(inline_css(html))
    if draft.plain_text is not None and draft.plain_text.strip():
        text = draft.plain_text
    elif html is not None:
        text = html_to_text(html)
    else:
        text = draft.body
    amp = draft.amp_html if draft.amp_html is not None and draft.amp_html.strip() else None
    return Rendered(html=html, text=_lf(text), amp=_lf(amp) if amp is not None else None)
