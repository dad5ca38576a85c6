"""Local CSS inlining with premailer, doing what the relay's ``inline_css`` option does.

Only rules in ``head > style`` are inlined (the relay's documented behaviour), the network is
never touched (``@import`` is stripped before cssutils can fetch it; ``<link>`` is left alone),
and responsive ``@media`` rules survive. Why each option is set: research/performance.md.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from typing import Any

from composer.core.draft import INLINE_ENGINES
from composer.core.errors import ComposerError
from composer.core.htmlscan import MAX_ATTRIBUTES, most_attributes, style_open

__all__ = ["ENGINES", "inline_css", "strip_css_imports"]

# The selectable inliners: premailer (the product's named engine, the default) and css-inline
# (40-450x faster, and right where premailer is wrong on !important against inline styles).
ENGINES = INLINE_ENGINES

# premailer sizes its module-level cache from these variables when it is first imported. The
# stock 128-entry LFU keeps the first template's entries forever and makes every later one slow;
# LRU lets a live preview of edited CSS age out old stylesheets.
os.environ.setdefault("PREMAILER_CACHE_MAXSIZE", "100000")
os.environ.setdefault("PREMAILER_CACHE", "LRU")

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
        found = style_open(html, pos)  # linear on "<style " × n, never closed by >
        if found is None:
            out.append(html[pos:])
            return "".join(out)
        out.append(html[pos : found[1]])
        close = _STYLE_CLOSE.search(html, found[1])
        end = close.start() if close else len(html)
        out.append(_strip_imports_in_css(html[found[1] : end]))
        pos = end


# --- CSS inlining -------------------------------------------------------------------------------

_IGNORE_ATTR = "data-premailer"
# cssutils keeps global state, and premailer mutates the parsed sheets it caches (it adds
# !important to kept @media rules), so two threads inlining the same CSS would race.
_INLINE_LOCK = threading.Lock()


def _has_doctype(html: str) -> bool:
    """Whether the document starts with a doctype (after an XML declaration and comments).

    A loop, not one regex: ``(?:<!--.*?-->\\s*)*`` backtracks exponentially over many comments.
    """

    def skip_space(i: int) -> int:
        while i < len(html) and html[i].isspace():
            i += 1
        return i

    i = skip_space(0)
    if html.startswith("<?xml", i):
        end = html.find(">", i)
        if end < 0:
            return False
        i = skip_space(end + 1)
    while html.startswith("<!--", i):
        end = html.find("-->", i + 4)
        if end < 0:
            return False
        i = skip_space(end + 3)
    return html[i : i + 9].lower() == "<!doctype"


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


def inline_css(html: str, engine: str = "premailer") -> str:
    """Move the CSS of ``<head>`` style sheets into ``style`` attributes, as the relay does.

    ``engine`` is ``"premailer"`` (the default) or ``"css-inline"``; both follow the same rules
    (below) and never touch the network. Raises ComposerError for an unknown engine and when
    the engine fails on hostile input.
    """
    if engine not in ENGINES:
        raise ComposerError(f"body: unknown CSS inliner {engine!r}; use {' or '.join(ENGINES)}")
    if not html.strip():
        return html
    if most_attributes(html)[0] > MAX_ATTRIBUTES:  # minutes in either engine's parser
        raise ComposerError(
            f"body: an element has over {MAX_ATTRIBUTES} attributes; no mail client needs "
            "that many, and CSS inlining would take minutes over them"
        )
    if engine == "css-inline":
        return _inline_css_inline(html)
    return _inline_premailer(html)


def _inline_premailer(html: str) -> str:
    """Move the CSS of ``<head>`` style sheets into ``style`` attributes, as the relay does.

    Like the relay's ``inline_css`` option, only rules in ``head > style`` are inlined: a
    ``<style>`` anywhere else (in the body) is left exactly as it is, and ``<link
    rel=stylesheet>`` is neither fetched nor removed. Rules that cannot be inlined (``@media``,
    ``:hover``) stay in a ``<style>`` in the head. ``@import`` rules are removed from the head
    sheets first, because cssutils would fetch them.

    premailer is imported here, not at module level: importing it costs ~170 ms of start-up.
    Raises ComposerError when premailer or lxml fail on hostile input.
    """
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
        node = tree if _has_doctype(html) else tree.getroot()
        return str(etree.tostring(node, method="html", encoding="unicode"))
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ComposerError(f"body: CSS inlining failed: {detail}") from exc


# --- css-inline ---------------------------------------------------------------------------------

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>)(.*?)(</style\b[^>]*>|$)", re.I | re.S)
# Comments, raw-text elements (skipped whole) and start tags, in document order.
_TOKEN = re.compile(
    r"<!--.*?(?:-->|$)|<(style|script|title|noscript|template)\b[^>]*>.*?(?:</\1\s*>|$)"
    r"|<([a-zA-Z][\w:-]*)",
    re.I | re.S,
)
_HEAD_TAGS = frozenset(
    ("html", "head", "title", "meta", "link", "style", "base", "script", "noscript", "template")
)
_INLINER: Any = None


def _body_start(html: str) -> int:
    """Index where the parser enters the body: ``<body``, or the first start tag of an element
    that cannot be in ``<head>`` (comments and raw-text elements skipped)."""
    for m in _TOKEN.finditer(html):
        name = m.group(2)
        if name is not None and name.lower() not in _HEAD_TAGS:
            return m.start()
    return len(html)


def _inline_css_inline(html: str) -> str:
    """css-inline with the relay's rules: only ``head > style`` is inlined (``@import`` removed
    first), a ``<style>`` in the body is left exactly as it is, ``<link>`` is neither fetched
    nor removed, and rules that cannot be inlined (``@media``, ``:hover``) stay in the head's
    ``<style>``. Unlike premailer it also keeps rules that matched nothing, a sheet whose
    rules were all inlined stays as an empty ``<style></style>``, and the rules it keeps are
    not made ``!important`` (premailer's are): a ``:hover`` on a property that was also inlined
    loses to the style attribute unless the rule says ``!important`` itself."""
    global _INLINER
    import css_inline  # ~15 ms import; lazy like premailer

    if _INLINER is None:
        # keep_style_tags + remove_inlined_selectors: what was inlined leaves the sheet, what
        # cannot be (:hover, :focus, @media) stays in it, as with premailer. keep_at_rules
        # alone keeps @media but drops :hover.
        _INLINER = css_inline.CSSInliner(
            load_remote_stylesheets=False, keep_at_rules=True, keep_link_tags=True,
            keep_style_tags=True, remove_inlined_selectors=True,
        )  # fmt: skip
    kept: list[str] = []
    nonce = os.urandom(6).hex()
    masked = _COMMENT.sub(lambda m: " " * len(m.group()), html)
    # After the last ">" no tag can end, so no sheet or body element starts there; blanked,
    # the patterns' `<style\b[^>]*>` no longer rescans the rest from every "<style" in it.
    tail = masked.rfind(">") + 1
    masked = masked[:tail] + " " * (len(masked) - tail)
    boundary = _body_start(masked)

    out: list[str] = []
    pos = 0
    for m in _STYLE_BLOCK.finditer(masked):
        start, end = m.span()
        out.append(html[pos:start])
        if start < boundary:  # a head sheet: inlined, minus @import
            open_tag, close_tag = html[start : m.end(1)], html[m.start(3) : end]
            out.append(open_tag + _strip_imports_in_css(html[m.end(1) : m.start(3)]) + close_tag)
        else:  # a body sheet: out of the inliner's sight, restored byte for byte afterwards
            out.append(f"<!--composer-style-{nonce}-{len(kept)}-->")
            kept.append(html[start:end])
        pos = end
    out.append(html[pos:])
    try:
        result: str = _INLINER.inline("".join(out))
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ComposerError(f"body: CSS inlining failed: {detail}") from exc
    if kept:
        marker = re.compile(rf"<!--composer-style-{nonce}-(\d+)-->")
        result = marker.sub(lambda m: kept[int(m.group(1))], result)
    return result
