"""What the preview removes from a message before QtWebEngine parses it.

Resource hints (`<link rel=preconnect|dns-prefetch|prefetch|prerender|modulepreload|preload>`,
`<meta http-equiv="x-dns-prefetch-control|Link">`, speculation rules) make Chromium open TCP
connections without a request: the preview's interceptor never sees them and the CSP does not
cover them (issue 12, item 6). They are removed here, for every document the preview shows.

The document is parsed with lxml and the web view gets lxml's serialisation of the cleaned tree,
never the original text: what Chromium parses is then exactly the tree that was checked, so a
hint hidden from one parser but not the other (odd tokenisation, character references in `rel`)
does not survive. Where the two parsers still read the same serialisation differently (comments,
raw text in SVG), the node is dropped. The preview shows the message, not a web page: scripts,
frames and every `<link>` but a style sheet go too, as mail clients drop them.
"""

from __future__ import annotations

import html as html_lib
import logging
import re

from lxml import etree

from composer.core.htmlscan import MAX_ATTRIBUTES, most_attributes
from composer.core.inline import _has_doctype  # the inliner's check: linear, no regex

__all__ = ["strip_for_preview"]

log = logging.getLogger(__name__)

# A <link> stays only as a style sheet (remote CSS, when the person allows it, goes through the
# interceptor like any request). Icons, hints, manifests, "next": none has a use in a preview.
_LINK_RELS_KEPT = frozenset({"stylesheet"})
# <meta http-equiv> values that change nothing on the network; the rest (x-dns-prefetch-control,
# Link, refresh, set-cookie, anything new) go.
_HTTP_EQUIV_KEPT = frozenset(
    {"content-type", "content-language", "content-security-policy", "x-ua-compatible"}
)
# Elements dropped whole: scripts (JavaScript is off, and <script type=speculationrules> is
# read without it) and nested browsing contexts (srcdoc= and data: documents carry their own
# hints; mail clients do not show frames either).
_DROPPED = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "portal",
     "fencedframe"}
)  # fmt: skip
_FOREIGN_ROOTS = frozenset({"svg", "math"})
_ASCII_SPACE = re.compile(r"[\t\n\f\r ]+")
_UNSHOWABLE = (
    "<p style='font-family:sans-serif'>The preview cannot show this message safely. "
    "Its HTML is in the HTML source tab.</p>"
)


def _tokens(value: str | None) -> set[str]:
    return {t for t in _ASCII_SPACE.split((value or "").lower()) if t}


def _in_foreign_content(element: etree._Element) -> bool:
    return any(a.tag in _FOREIGN_ROOTS for a in element.iterancestors() if isinstance(a.tag, str))


def _drop(element: etree._Element) -> bool:
    tag = element.tag.lower() if isinstance(element.tag, str) else ""
    if not tag:  # a comment or processing instruction: `<!-->` ends a comment for Chromium
        return True  # but not for libxml2, which would hand on what follows as comment text
    if tag in _DROPPED:
        return True
    if tag == "link":
        rels = _tokens(element.get("rel"))
        return not rels or not rels <= _LINK_RELS_KEPT
    if tag == "meta":
        equiv = element.get("http-equiv")
        return equiv is not None and equiv.strip().lower() not in _HTTP_EQUIV_KEPT
    if tag == "style":
        text = element.text or ""
        # Serialised as raw text. In <svg>/<math> Chromium parses it as markup (where an <img>
        # breaks out to HTML, and a <link> after it is real); a "</style" would end it early.
        if "</style" in text.lower():
            return True
        return "<" in text and _in_foreign_content(element)
    return False


def _clean(root: etree._Element) -> None:
    doomed = [e for e in root.iter() if _drop(e)]
    for element in doomed:
        parent = element.getparent()
        if parent is None:
            continue
        # Keep the text that follows the element (its tail): it belongs to the parent.
        tail = element.tail
        previous = element.getprevious()
        if tail:
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
        parent.remove(element)
    for element in root.iter("a", "area"):
        element.attrib.pop("ping", None)  # hyperlink auditing is off too; belt and braces


def strip_for_preview(html: str) -> str:
    """`html` as the preview may load it: resource hints, scripts, frames and comments removed,
    re-serialised from lxml's tree. On a document lxml cannot read, a note instead (fail
    closed: the original is never handed on unchecked)."""
    if not html.strip():
        return html
    if most_attributes(html)[0] > MAX_ATTRIBUTES:  # minutes in any parser (core/htmlscan.py)
        log.warning("preview: an element has over %d attributes; showing a note", MAX_ATTRIBUTES)
        return _UNSHOWABLE
    try:
        parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
        root = etree.fromstring(html.encode("utf-8", "replace"), parser)
        if root is None:
            return f"<pre>{html_lib.escape(html)}</pre>"  # text lxml saw no element in
        _clean(root)
        # lxml invents an HTML 4 doctype for a document without one, which would switch
        # Chromium out of quirks mode: keep only a doctype the message has.
        node = root.getroottree() if _has_doctype(html) else root
        return etree.tostring(node, method="html", encoding="unicode")
    except Exception:  # lxml's own errors, recursion on absurd nesting, anything
        log.warning("preview: the document could not be parsed; showing a note", exc_info=True)
        return _UNSHOWABLE
