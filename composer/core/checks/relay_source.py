"""Where family 1's findings point: elements and text in the source the person edits.

The markup is parsed with lxml (libxml2's HTML parser, which keeps each element's source line);
the column is where that element's start tag begins on its line. A Markdown body is parsed as a
fragment (its raw HTML is what reaches the body of the template), so nothing of it is in the
head. Finding an unsubscribe link reads the final HTML (what recipients get), and then looks for
its address in the source to point at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree
from lxml import html as lxml_html

from composer.core.draft import BodyFormat, Draft
from composer.core.render import Rendered

__all__ = [
    "SourceElement",
    "SubstitutionHit",
    "UnsubscribeLinks",
    "body_part",
    "find_substitutions",
    "locate",
    "source_elements",
    "unsubscribe_links",
]

_SNIPPET = 80
# Words of an unsubscribe link in the languages people most often write these in.
_UNSUBSCRIBE_WORDS = (
    "unsubscribe", "opt out", "opt-out", "abmelden", "désabonner", "desabonner",
    "darse de baja", "cancelar suscripción", "afmelden", "disiscriviti",
)  # fmt: skip
# {{ expr }} and {{{ expr }}} (unescaped), as the relay's template language writes them.
_SUBST = re.compile(r"\{\{\{?\s*([^{}]*?)\s*\}?\}\}")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset(
    {"if", "else", "elseif", "end", "each", "and", "or", "not", "loop_var", "loop_vars",
     "render_dynamic_content", "render_snippet", "true", "false", "null"}
)  # fmt: skip
_PARSE_ERRORS = (ValueError, etree.ParserError, etree.XMLSyntaxError)


def body_part(draft: Draft) -> str:
    """The part name (model.PARTS) of the body the person edits."""
    return {BodyFormat.HTML: "html", BodyFormat.MARKDOWN: "markdown"}.get(
        draft.body_format, "text"
    )


def locate(text: str, index: int) -> tuple[int, int]:
    """1-based (line, column) of ``index`` in ``text``."""
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SNIPPET else text[: _SNIPPET - 1] + "…"


@dataclass(frozen=True)
class SourceElement:
    tag: str
    attrs: dict[str, str]
    in_head: bool
    line: int | None
    column: int | None
    snippet: str


def _parse_source(draft: Draft) -> etree._Element | None:
    body = draft.body
    if not body.strip() or draft.body_format == BodyFormat.TEXT:
        return None
    try:
        if draft.body_format == BodyFormat.HTML:
            return lxml_html.document_fromstring(body)
        return lxml_html.fragment_fromstring(body, create_parent="div")
    except _PARSE_ERRORS:
        return None


def source_elements(draft: Draft, tags: tuple[str, ...]) -> list[SourceElement]:
    """Elements named ``tags`` in the body the person edits, in source order."""
    root = _parse_source(draft)
    if root is None:
        return []
    lines = draft.body.split("\n")
    taken: dict[tuple[int, str], int] = {}  # (line, tag) -> where the next search starts
    out = []
    for el in root.iter(*tags):
        tag = str(el.tag).lower()
        in_head = any(a.tag == "head" for a in el.iterancestors())
        line = el.sourceline
        column = None
        snippet = f"<{tag}>"
        if line is not None and 1 <= line <= len(lines):
            text = lines[line - 1]
            start = taken.get((line, tag), 0)
            at = text.lower().find(f"<{tag}", start)
            if at >= 0:
                taken[(line, tag)] = at + 1
                column = at + 1
                end = text.find(">", at)
                snippet = _snippet(text[at : end + 1] if end >= 0 else text[at:])
        out.append(SourceElement(tag, {k: str(v) for k, v in el.attrib.items()}, in_head,
                                 line, column, snippet))  # fmt: skip
    return out


@dataclass(frozen=True)
class UnsubscribeLinks:
    """``relay``: a link with data-msys-unsubscribe (the relay's own, per recipient); ``any``:
    that or a link that says unsubscribe. The place is the first one's, in the source."""

    any: bool = False
    relay: bool = False
    line: int | None = None
    column: int | None = None
    element: str | None = None


def unsubscribe_links(draft: Draft, rendered: Rendered) -> UnsubscribeLinks:
    if rendered.html is None:
        text = rendered.text.lower()
        return UnsubscribeLinks(any=any(w in text for w in _UNSUBSCRIBE_WORDS))
    try:
        root = lxml_html.document_fromstring(rendered.html) if rendered.html.strip() else None
    except _PARSE_ERRORS:
        root = None
    if root is None:
        return UnsubscribeLinks()
    relay_link = own = None
    for a in root.iter("a"):
        if "data-msys-unsubscribe" in a.attrib:
            relay_link = a
            break
        words = (a.text_content() + " " + a.get("href", "")).lower()
        if own is None and any(w in words for w in _UNSUBSCRIBE_WORDS):
            own = a
    first = relay_link if relay_link is not None else own
    if first is None:
        return UnsubscribeLinks()
    line = column = None
    for needle in (first.get("href", ""), first.text_content().strip()):
        at = draft.body.find(needle) if needle else -1
        if at >= 0:
            line, column = locate(draft.body, at)
            break
    href = first.get("href", "")
    element = _snippet(f'<a href="{href}">' if href else "<a>")
    return UnsubscribeLinks(True, relay_link is not None, line, column, element)


@dataclass(frozen=True)
class SubstitutionHit:
    """The first ``{{ … }}`` of one part, how many there are, and the names they use."""

    part: str
    line: int | None
    column: int | None
    snippet: str
    count: int
    names: frozenset[str] = field(default_factory=frozenset)


def _names(expr: str) -> set[str]:
    """Top-level variables an expression reads (``user.name`` reads ``user``)."""
    out = set()
    for m in _IDENT.finditer(re.sub(r"\"[^\"]*\"|'[^']*'", "", expr)):
        before = expr[: m.start()].rstrip()
        if before.endswith(".") or m.group() in _KEYWORDS:
            continue
        out.add(m.group())
    return out


def find_substitutions(draft: Draft) -> list[SubstitutionHit]:
    """``{{ }}`` in the subject, the body and an own plain-text part. The AMP part is left
    out: amp-mustache templates there are filled by the recipient's client, not the relay."""
    parts: list[tuple[str, str, bool]] = [("headers", draft.subject, False),
                                          (body_part(draft), draft.body, True)]  # fmt: skip
    if draft.plain_text is not None and draft.plain_text.strip():
        parts.append(("text", draft.plain_text, True))
    out = []
    for part, text, has_lines in parts:
        matches = list(_SUBST.finditer(text))
        if not matches:
            continue
        names: set[str] = set()
        for m in matches:
            names |= _names(m.group(1))
        first = matches[0]
        line, column = locate(text, first.start()) if has_lines else (None, None)
        out.append(SubstitutionHit(part, line, column, _snippet(first.group()), len(matches),
                                   frozenset(names)))  # fmt: skip
    return out
