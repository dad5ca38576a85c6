"""The element with the most attributes in an HTML text, found in one linear pass.

Every HTML parser we use checks a new attribute against the element's earlier ones one by one
(the HTML standard drops duplicates): libxml2 (lxml: the checks, the preview's stripping),
lexbor and html5ever (css-inline) all take time quadratic in the attributes of one element. A
230 KB body with one ``<p>`` of 60,000 distinct attributes took the checks 79 s; no real
message has an element with more than a few dozen. Callers refuse such a document before any
parser sees it.

The scan reads start tags as the HTML tokenizer does (quoted values may hold ``<`` and ``>``),
one regular-expression match per attribute and no backtracking across tags.

``style_open`` finds ``<style …>`` as ``<style\b[^>]*>`` would, without that pattern's rescan
of the rest of the document from every ``<style`` that no ``>`` ends.
"""

from __future__ import annotations

import re

__all__ = ["MAX_ATTRIBUTES", "most_attributes", "style_open"]

# Far above any real element (an MJML table cell has about 10), far below where parsing hurts
# (libxml2: 5,000 attributes on one element take 0.05 s, 40,000 take 10 s).
MAX_ATTRIBUTES = 1000

_TAG = re.compile(r"<[A-Za-z][^\s/>]*")
# One attribute: separators, a name, then maybe = and a value (quoted, or up to space or >).
# Names as the tokenizer reads them: anything up to space, / > or = (quotes and < included).
_ATTR = re.compile(r"""[\s/]*[^\s/>][^\s/>=]*(?:\s*=\s*(?:"[^"]*"?|'[^']*'?|[^\s>]*))?""")


def most_attributes(html: str, stop_at: int = MAX_ATTRIBUTES) -> tuple[int, int]:
    """(count, offset): the most attributes any start tag in ``html`` has, and where that tag
    starts. Stops counting at ``stop_at`` + 1 (enough to refuse)."""
    best, where, pos = 0, 0, 0
    while (tag := _TAG.search(html, pos)) is not None:
        count, pos = 0, tag.end()
        while count <= stop_at and (attr := _ATTR.match(html, pos)) is not None:
            if attr.end() == pos:
                break
            count, pos = count + 1, attr.end()
        if count > best:
            best, where = count, tag.start()
            if best > stop_at:
                break
    return best, where


_STYLE = re.compile(r"<style\b", re.I)


def style_open(html: str, pos: int = 0) -> tuple[int, int] | None:
    """(start, end) of the first ``<style …>`` start tag at or after ``pos``, or None. When no
    ``>`` follows the first ``<style``, none follows a later one either: no search goes on."""
    m = _STYLE.search(html, pos)
    if m is None:
        return None
    gt = html.find(">", m.end())
    return None if gt < 0 else (m.start(), gt + 1)
