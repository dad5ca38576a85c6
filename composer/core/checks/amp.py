"""Family 6: the AMP part, validated offline, and the order of the MIME parts.

The rules are AMP for Email's required markup and its lists of supported HTML and components
(amp.dev, "AMP for Email Format", "Supported HTML", "Supported Components"): the ``⚡4email`` /
``amp4email`` root, ``<meta charset="utf-8">`` first in the head, the AMP runtime script, the
``amp4email-boilerplate`` style, only supported tags (``<img>`` must be ``<amp-img>``), no event
handler attributes, no ``!important``, CSS at most 75,000 bytes (``<style amp-custom>`` plus
``style`` attributes) and the whole part at most 102,400 bytes. This is not the AMP validator:
a part that passes here can still be refused by Gmail, and Gmail only shows AMP from
registered senders.

The built message must be multipart/alternative with text/plain first, text/x-amp-html next
and text/html last: clients show the last part they understand, and Gmail ignores AMP that is
the last part. An AMP part without an HTML part is an error: most clients would show only text.
"""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.policy import compat32

import tinycss2
from tinycss2.ast import Declaration, QualifiedRule

from composer.core.checks.cssuse import declarations
from composer.core.checks.doc import Doc, amp_doc
from composer.core.checks.model import CheckInput, Finding, Severity, Where

__all__ = ["check"]

RUNTIME = "https://cdn.ampproject.org/v0.js"
MAX_CSS_BYTES = 75_000
MAX_AMP_BYTES = 102_400
_HTML_TAGS = set(
    [
        "a",
        "abbr",
        "address",
        "article",
        "aside",
        "b",
        "bdo",
        "blockquote",
        "body",
        "br",
        "button",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "data",
        "datalist",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "head",
        "header",
        "hr",
        "html",
        "i",
        "input",
        "ins",
        "kbd",
        "label",
        "legend",
        "li",
        "main",
        "mark",
        "meta",
        "meter",
        "nav",
        "ol",
        "optgroup",
        "option",
        "output",
        "p",
        "pre",
        "progress",
        "q",
        "rb",
        "rp",
        "rt",
        "ruby",
        "s",
        "samp",
        "script",
        "section",
        "select",
        "small",
        "span",
        "strong",
        "style",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
        "var",
        "wbr",
        "title",
    ]
)
_COMPONENTS = set(
    [
        "amp-accordion",
        "amp-anim",
        "amp-autocomplete",
        "amp-base-carousel",
        "amp-bind-macro",
        "amp-carousel",
        "amp-date-picker",
        "amp-fit-text",
        "amp-image-lightbox",
        "amp-img",
        "amp-inline-gallery",
        "amp-layout",
        "amp-lightbox",
        "amp-list",
        "amp-selector",
        "amp-sidebar",
        "amp-state",
        "amp-stream-gallery",
        "amp-timeago",
        "amp-form",
    ]
)


def _f(fid: str, sev: Severity, msg: str, where: Where) -> Finding:
    return Finding(f"amp.{fid}", sev, "amp", msg, where)


def _structure(doc: Doc) -> Iterator[Finding]:
    root, head = doc.root, doc.head
    top = doc.where(root)
    if top.line is None:
        top = Where("amp", 1, 1, top.element)
    if not any(a in root.attrib for a in ("⚡4email", "amp4email")):
        yield _f(
            "root",
            Severity.ERROR,
            "The AMP part's <html> needs the ⚡4email (or "
            "amp4email) attribute; without it the part is not AMP for Email.",
            top,
        )
    if head is None:
        yield _f("head", Severity.ERROR, "The AMP part has no <head>.", top)
        return
    first = next((c for c in head if isinstance(c.tag, str)), None)
    if first is None or first.tag != "meta" or (first.get("charset") or "").lower() != "utf-8":
        yield _f(
            "charset",
            Severity.ERROR,
            '<meta charset="utf-8"> must be the first child of the AMP part\'s <head>.',
            doc.where(first) if first is not None else top,
        )
    scripts = list(head.iter("script"))
    if not any(s.get("src") == RUNTIME and "async" in s.attrib for s in scripts):
        yield _f(
            "runtime",
            Severity.ERROR,
            f'The AMP part needs <script async src="{RUNTIME}"></script> in its <head>.',
            top,
        )
    if not any("amp4email-boilerplate" in s.attrib for s in head.iter("style")):
        yield _f(
            "boilerplate",
            Severity.ERROR,
            "The AMP part needs <style amp4email-boilerplate>"
            "body{visibility:hidden}</style> in its <head>.",
            top,
        )


def _tags(doc: Doc) -> Iterator[Finding]:
    for el in doc.elements():
        tag = str(el.tag)
        where = None
        if tag == "img":
            yield _f(
                "tag",
                Severity.ERROR,
                "<img> is not allowed in AMP for Email: use "
                "<amp-img> with width, height and layout.",
                doc.where(el),
            )
        elif tag == "script":
            src = el.get("src") or ""
            ok = (
                src == RUNTIME
                or (
                    src.startswith("https://cdn.ampproject.org/v0/amp-")
                    and (el.get("custom-element") or el.get("custom-template"))
                )
                or (el.get("type") or "").lower() == "application/json"
            )
            if not ok:
                yield _f(
                    "script",
                    Severity.ERROR,
                    "AMP for Email allows no scripts of its own: "
                    "only the AMP runtime and component scripts from cdn.ampproject.org.",
                    doc.where(el),
                )
        elif tag.startswith("amp-") and tag not in _COMPONENTS:
            yield _f(
                "component",
                Severity.ERROR,
                f"<{tag}> is not an AMP for Email component.",
                doc.where(el),
            )
        elif not tag.startswith("amp-") and tag not in _HTML_TAGS:
            yield _f(
                "tag", Severity.ERROR, f"<{tag}> is not allowed in AMP for Email.", doc.where(el)
            )
        for name in el.attrib:
            n = str(name).lower()
            if n.startswith("on"):
                where = where or doc.where(el)
                yield _f(
                    "attribute",
                    Severity.ERROR,
                    f"The {n} attribute (an event handler) "
                    "is not allowed in AMP: use the on= attribute.",
                    where,
                )
            elif n in ("id", "class"):
                for token in (el.get(name) or "").split():
                    if token.startswith(("-amp-", "i-amp-")):
                        where = where or doc.where(el)
                        yield _f(
                            "attribute",
                            Severity.ERROR,
                            f'{n}="{token}": names starting -amp- or i-amp- are reserved for AMP.',
                            where,
                        )


def _css(doc: Doc) -> Iterator[Finding]:
    total = 0
    important: Where | None = None
    for el in doc.elements():
        if el.tag == "style" and "amp-custom" in el.attrib:
            text = el.text or ""
            total += len(text.encode("utf-8", "replace"))
            for rule in tinycss2.parse_stylesheet(text, skip_comments=True):
                if isinstance(rule, QualifiedRule) and important is None:
                    for d in tinycss2.parse_declaration_list(rule.content):
                        if isinstance(d, Declaration) and d.important:
                            base = doc.where(el)
                            line = base.line + d.source_line - 1 if base.line else None
                            important = Where("amp", line, None, base.element)
        style = el.get("style")
        if style is not None:
            total += len(style.encode("utf-8", "replace"))
            if important is None and any(
                isinstance(d, Declaration) and d.important for d in declarations(style)
            ):
                important = doc.where(el)
    if important is not None:
        yield _f("important", Severity.ERROR, "!important is not allowed in AMP CSS.", important)
    if total > MAX_CSS_BYTES:
        yield _f(
            "css-size",
            Severity.ERROR,
            f"The AMP part's CSS is {total:,} bytes; AMP for "
            f"Email allows {MAX_CSS_BYTES:,} (<style amp-custom> and style attributes "
            "together).",
            Where("amp"),
        )


def _part_order(inp: CheckInput) -> Iterator[Finding]:
    if inp.rendered.html is None:
        yield _f(
            "no-html",
            Severity.ERROR,
            "An AMP part needs an HTML part too: clients without AMP (most of them) show the HTML.",
            Where("amp"),
        )
    data = inp.data
    if data is None:
        return
    msg = message_from_bytes(data, policy=compat32)
    alt = next((p for p in msg.walk() if p.get_content_type() == "multipart/alternative"), None)
    if alt is None:
        return
    kinds = [p.get_content_type() for p in alt.get_payload()]  # type: ignore[union-attr]
    if "text/x-amp-html" in kinds:
        want = [k for k in ("text/plain", "text/x-amp-html", "text/html") if k in kinds]
        if [k for k in kinds if k in want] != want:
            yield _f(
                "part-order",
                Severity.ERROR,
                "The message's parts are in the order "
                f"{', '.join(kinds)}; it must be text/plain, text/x-amp-html, text/html "
                "(the HTML last).",
                Where("amp"),
            )


def check(inp: CheckInput) -> Iterator[Finding]:
    doc = amp_doc(inp)
    if doc is None:
        return
    size = len(doc.html.encode("utf-8", "replace"))
    if size > MAX_AMP_BYTES:
        yield _f(
            "size",
            Severity.ERROR,
            f"The AMP part is {size:,} bytes; AMP for Email allows {MAX_AMP_BYTES:,}.",
            Where("amp"),
        )
    yield from _structure(doc)
    yield from _tags(doc)
    yield from _css(doc)
    yield from _part_order(inp)
