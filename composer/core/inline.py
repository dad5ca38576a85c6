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

from composer.core.errors import ComposerError

__all__ = ["inline_css", "strip_css_imports"]

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
        node = tree if _has_doctype(html) else tree.getroot()
        return etree.tostring(node, method="html", encoding="unicode")
    except Exception as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise ComposerError(f"body: CSS inlining failed: {detail}") from exc
