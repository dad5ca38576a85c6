"""Family 3: accessibility of the final HTML (contrast is in contrast.py).

What a screen-reader user or a reader with low vision meets first: the document's language
(and direction for right-to-left languages), its title, text alternatives for images, layout
tables announced as data tables, skipped heading levels and links that say nothing out of
context. For a Markdown body the document-level checks are skipped: Composer's template sets
lang, title (the subject) and role="presentation" itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.etree import _Element

from composer.core.checks import contrast
from composer.core.checks.doc import Doc, html_doc, text_of
from composer.core.checks.model import CheckInput, Finding, Severity, Where

__all__ = ["check"]

_RTL = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku-arab", "ps", "sd", "ug", "ur", "yi"}
# Link texts that mean nothing when a screen reader lists the links of a message.
_VAGUE = {
    "click here",
    "click",
    "here",
    "click here.",
    "read more",
    "more",
    "learn more",
    "link",
    "this",
    "this link",
    "go",
    "details",
    "more info",
    "more information",
}
# From the start of a run only (the lookbehind): retried at every character of a long run that
# does not end the text, the pattern took time quadratic in the run.
_PUNCT = re.compile(r"(?<![\s.!?:»>→…])[\s.!?:»>→…]+$")
_URLISH = re.compile(r"^(https?://|www\.)\S+$", re.I)


def _find(sev: Severity, fid: str, msg: str, where: Where) -> Finding:
    return Finding(f"a11y.{fid}", sev, "accessibility", msg, where)


def _document(doc: Doc) -> Iterator[Finding]:
    root = doc.root
    where = doc.where(root) if root.tag == "html" else Where(doc.part, 1, 1)
    if where.line is None:
        where = Where(doc.part, 1, 1, where.element)
    lang = (root.get("lang") or root.get("xml:lang") or "").strip()
    if not lang:
        yield _find(
            Severity.WARNING,
            "lang",
            "The document has no lang attribute: screen "
            'readers guess the language. Add one to <html>, e.g. lang="en".',
            where,
        )
    elif lang.lower() in ("und", "zxx"):
        yield _find(
            Severity.WARNING,
            "lang",
            f'lang="{lang}" says the language is unknown: '
            "screen readers fall back to a guess. Name the message's language.",
            where,
        )
    primary = lang.lower().split("-")[0]
    if primary in _RTL or lang.lower() in _RTL:
        dirs = {(el.get("dir") or "").lower() for el in (root, doc.body) if el is not None}
        if "rtl" not in dirs:
            yield _find(
                Severity.WARNING,
                "dir",
                f'lang="{lang}" is written right to left but the document has no dir="rtl".',
                where,
            )
    title = root.find("head/title")
    if title is None or not text_of(title):
        yield _find(
            Severity.WARNING,
            "title",
            "The document has no <title> (or an empty "
            "one): screen readers and webmail tabs show it. Use the subject.",
            where if title is None else doc.where(title),
        )


def _is_data_table(table: _Element) -> bool:
    for el in table.iter("th", "caption", "thead", "table"):
        if el.tag == "table" and el is not table:
            continue
        if el.tag != "table" and _owner(el) is table:
            return True
    return False


def _owner(el: _Element) -> _Element | None:
    parent = el.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _tables(doc: Doc, tables: list[_Element]) -> Iterator[Finding]:
    bare = [
        t
        for t in tables
        if (t.get("role") or "").lower() not in ("presentation", "none") and not _is_data_table(t)
    ]
    if bare:
        n = len(bare)
        yield _find(
            Severity.WARNING,
            "layout-table",
            f'{n} layout table{"s have" if n > 1 else " has"} no role="presentation": '
            "screen readers announce rows and columns that carry no data."
            + (f" The first is here; {n - 1} more follow." if n > 1 else ""),
            doc.where(bare[0]),
        )


def _headings(doc: Doc, heads: list[_Element]) -> Iterator[Finding]:
    last = 0
    for h in heads:
        level = int(str(h.tag)[1])
        if last and level > last + 1:
            yield _find(
                Severity.INFO,
                "heading-order",
                f"<h{level}> follows <h{last}>: a heading level is skipped, so screen "
                f"reader users may think they missed a section. Use <h{last + 1}>.",
                doc.where(h),
            )
        last = level


def _link_text(a: _Element) -> str:
    text = text_of(a)
    if not text:
        text = (a.get("aria-label") or a.get("title") or "").strip()
    if not text:
        text = " ".join((img.get("alt") or "").strip() for img in a.iter("img")).strip()
    return text


def _links(doc: Doc, links: list[_Element]) -> Iterator[Finding]:
    for a in links:
        if a.get("href") is None:
            continue
        text = _link_text(a)
        plain = _PUNCT.sub("", text.lower())
        if not text:
            yield _find(
                Severity.WARNING,
                "link-no-text",
                "This link has no text, no aria-label and no image alt text: screen "
                "readers read out its address or just 'link'.",
                doc.where(a),
            )
        elif plain in _VAGUE:
            yield _find(
                Severity.WARNING,
                "link-text",
                f'The link text "{text}" says nothing out of context (screen readers '
                "list links on their own). Say where it goes.",
                doc.where(a),
            )
        elif _URLISH.match(text) and len(text) > 30:
            yield _find(
                Severity.INFO,
                "link-text-url",
                "The link's text is a bare URL, which screen readers spell out. Use "
                "words that say where it goes.",
                doc.where(a),
            )


def check(inp: CheckInput) -> Iterator[Finding]:
    doc = html_doc(inp)
    if doc is None:
        return
    if doc.kind == "html":
        yield from _document(doc)
    tables: list[_Element] = []
    heads: list[_Element] = []
    links: list[_Element] = []
    for el in doc.user_elements():
        tag = el.tag
        if tag == "img" and el.get("alt") is None:
            yield _find(
                Severity.WARNING,
                "img-alt",
                'This image has no alt attribute. Describe it, or use alt="" if it is '
                "decoration (screen readers otherwise read the file name).",
                doc.where(el),
            )
        elif tag == "table":
            tables.append(el)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            heads.append(el)
        elif tag == "a":
            links.append(el)
    yield from _tables(doc, tables)
    yield from _headings(doc, heads)
    yield from _links(doc, links)
    yield from contrast.findings(doc)
