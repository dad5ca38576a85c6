"""Family 2: email-client support of the final HTML and CSS, from caniemail's data.

Every HTML element and attribute, image format, CSS property, value function and unit, at-rule
(and media feature) and selector part used in the final HTML is mapped to a caniemail feature
(cssuse.py does the CSS); each feature that a target client supports only in part, or not at
all, is one finding: where it is first used, how many times, which clients, and caniemail's
notes. No support is a warning, partial support a note: caniemail's "partial" often applies
only to some values (its notes say which), which this check cannot always tell.

For a Markdown body only what the person wrote is checked, not Composer's own template.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml.etree import _Element

from composer.core.checks import cssuse
from composer.core.checks.caniemail import Feature, client_name, index
from composer.core.checks.doc import Doc, html_doc
from composer.core.checks.model import CheckInput, Finding, Severity, Where

__all__ = ["check", "features_used"]

# Elements whose caniemail feature has the same name.
_SAME = [
    "abbr",
    "acronym",
    "address",
    "audio",
    "base",
    "bdi",
    "blockquote",
    "body",
    "code",
    "del",
    "dfn",
    "dialog",
    "div",
    "form",
    "hr",
    "img",
    "link",
    "marquee",
    "meter",
    "object",
    "p",
    "picture",
    "pre",
    "progress",
    "rp",
    "rt",
    "ruby",
    "select",
    "small",
    "span",
    "strike",
    "strong",
    "style",
    "svg",
    "table",
    "textarea",
    "video",
    "wbr",
]
_TAGS: dict[str, str] = {t: f"html-{t}" for t in _SAME}
_TAGS.update({f"h{n}": "html-h1-h6" for n in range(1, 7)})
_TAGS.update({t: "html-lists" for t in ("ul", "ol", "dl")})
_TAGS.update({"map": "html-image-maps", "s": "html-strike"})
_TAGS.update(
    {
        t: "html-semantics"
        for t in [
            "article",
            "aside",
            "details",
            "figcaption",
            "figure",
            "footer",
            "header",
            "main",
            "mark",
            "nav",
            "section",
            "summary",
            "time",
        ]
    }
)
_ATTRS: dict[str, str] = {
    a: f"html-{a}"
    for a in [
        "align",
        "background",
        "cellpadding",
        "cellspacing",
        "dir",
        "height",
        "hidden",
        "lang",
        "loading",
        "required",
        "role",
        "srcset",
        "target",
        "valign",
        "width",
        "popover",
        "aria-describedby",
        "aria-hidden",
        "aria-label",
        "aria-labelledby",
        "aria-live",
    ]
}
_ATTRS["inert"] = "css-inert-attribute"
_ATTRS["usemap"] = "html-image-maps"
_INPUTS = {"checkbox", "hidden", "radio", "reset", "submit", "text"}
_IMAGE_EXT = {
    "apng": "image-apng",
    "avif": "image-avif",
    "bmp": "image-bmp",
    "gif": "image-gif",
    "hdr": "image-hdr",
    "heic": "image-heif",
    "heif": "image-heif",
    "ico": "image-ico",
    "jpg": "image-jpg",
    "jpeg": "image-jpg",
    "png": "image-png",
    "svg": "image-svg",
    "tif": "image-tiff",
    "tiff": "image-tiff",
    "webp": "image-webp",
    "mp4": "image-mp4",
}


# Features whose gaps change nothing a reader sees: the doctype (Outlook ignores it), <body>
# (clients replace it by a <div>, which every template expects), target (webmails force
# target="_blank" anyway), dark-mode hints that a client without them simply ignores, and the
# mouse pointer's look. Reporting them would teach people to ignore the list.
_BENIGN = {
    "html-doctype",
    "html-body",
    "html-target",
    "html-comments",
    "html-meta-color-scheme",
    "css-color-scheme",
    "css-cursor",
    "css-user-select",
}
# Gmail's apps show mail of non-Google accounts (IMAP, Outlook.com) without <style> blocks;
# caniemail marks every selector "partial" for that. One finding says it once.
_GANGA = "non google account"
_GANGA_CLIENTS = ("gmail.ios", "gmail.android", "gmail.mobile-webmail")


def _is_ganga(notes: tuple[str, ...]) -> bool:
    return bool(notes) and all(
        _GANGA in n.lower().replace("-", " ") or "non gmail account" in n.lower() for n in notes
    )


@dataclass
class Use:
    """Where a feature is first used (worked out only if it is reported), and how often."""

    doc: Doc
    first: _Element
    css_line: int | None = None  # the line within a <style> block
    first_what: str = ""  # what the first use was, e.g. "display:flex" or "@media"
    count: int = 0
    what: set[str] = field(default_factory=set)  # e.g. the property names behind css-margin

    @property
    def where(self) -> Where:
        w = self.doc.where(self.first)
        if self.first.tag != "style" or self.css_line is None:
            return w
        if w.line is not None and self.doc.identical:
            return Where(w.part, w.line + self.css_line - 1, None, w.element)
        # The <style> was rewritten (local inlining): look for what was written in the source.
        found = self.doc.where_pattern(_source_pattern(self.first_what), element=w.element)
        return found if found.line is not None else w


@functools.lru_cache(maxsize=256)
def _source_pattern(what: str) -> re.Pattern[str]:
    """A pattern finding a CSS feature as a person writes it: "@media", "display: flex",
    ":hover", "rgb(", a property name followed by a colon."""
    if what.startswith("@media ("):  # a media feature: "@media (prefers-color-scheme)"
        return re.compile(rf"(?<![-\w]){re.escape(what[8:-1])}\s*[:)]", re.I)
    if what.startswith(("@", "!")):
        return re.compile(re.escape(what) + r"\b", re.I)
    if what.startswith(":"):
        return re.compile(re.escape(what) + r"(?![-\w])", re.I)
    if what.endswith("()"):
        return re.compile(r"(?<![-\w])" + re.escape(what[:-1]), re.I)
    if ":" in what:
        name, _, value = what.partition(":")
        return re.compile(rf"(?<![-\w]){re.escape(name)}\s*:\s*{re.escape(value)}", re.I)
    return re.compile(rf"(?<![-\w]){re.escape(what)}\s*:", re.I)


class _Uses:
    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.by_slug: dict[str, Use] = {}

    def add(self, slug: str, el: _Element, what: str, css_line: int | None = None) -> None:
        use = self.by_slug.get(slug)
        if use is None:
            use = self.by_slug[slug] = Use(self.doc, el, css_line, what)
        use.count += 1
        if what:
            use.what.add(what)


def _image_format(src: str) -> str | None:
    s = src.strip().lower()
    if s.startswith("data:"):
        return "image-base64"
    path = s.split("?", 1)[0].split("#", 1)[0]
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return _IMAGE_EXT.get(ext)


def _element_features(el: _Element) -> Iterator[tuple[str, str]]:
    tag = str(el.tag)
    if tag in _TAGS:
        yield _TAGS[tag], f"<{tag}>"
    if tag == "input":
        kind = (el.get("type") or "text").lower()
        if kind in _INPUTS:
            yield f"html-input-{kind}", f'<input type="{kind}">'
    elif tag == "button":
        kind = (el.get("type") or "submit").lower()
        if kind in ("reset", "submit"):
            yield f"html-button-{kind}", f'<button type="{kind}">'
    elif tag == "meta" and (el.get("name") or "").lower() == "color-scheme":
        yield "html-meta-color-scheme", '<meta name="color-scheme">'
    elif tag == "a":
        href = (el.get("href") or "").strip()
        if href.startswith("#") and len(href) > 1:
            yield "html-anchor-links", "links to #anchors"
        elif href.lower().startswith("mailto:"):
            yield "html-mailto-links", "mailto: links"
    elif tag == "img":
        fmt = _image_format(el.get("src") or "")
        if fmt:
            yield fmt, fmt.removeprefix("image-").upper() + " images"
    for name in el.attrib:
        slug = _ATTRS.get(str(name).lower())
        if slug and not (slug in ("html-width", "html-height") and tag == "img"):
            yield slug, f"the {name} attribute"


def features_used(doc: Doc) -> dict[str, Use]:
    """caniemail slug -> where it is first used and how often, for everything in ``doc``."""
    uses = _Uses(doc)
    for el in doc.user_elements():
        for slug, what in _element_features(el):
            uses.add(slug, el, what)
        style = el.get("style")
        if style:
            for slug, what in cssuse.declaration_features(style):
                uses.add(slug, el, what)
        if el.tag == "style" and el.text:
            for slug, what, line in cssuse.stylesheet_features(el.text):
                uses.add(slug, el, what, line)
    return uses.by_slug


def _message(feat: Feature, use: Use, gaps: dict[str, tuple[str, tuple[str, ...]]]) -> str:
    none = [client_name(c) for c, (lvl, _) in gaps.items() if lvl == "n"]
    part = [client_name(c) for c, (lvl, _) in gaps.items() if lvl == "a"]
    what = ", ".join(sorted(use.what)[:4]) or feat.title
    times = f"used {use.count} times" if use.count > 1 else "used once"
    bits = [f"{feat.title} ({what}; {times})"]
    if none:
        bits.append(f"is not supported in {', '.join(none)}")
    if part:
        bits.append(
            ("and only partly in " if none else "is only partly supported in ") + ", ".join(part)
        )
    notes: list[str] = []
    for _c, (_lvl, ns) in gaps.items():
        notes.extend(n for n in ns if n not in notes)
    text = " ".join(bits) + "."
    if notes:
        text += " caniemail: " + " ".join(n.strip() for n in notes[:3])
    return text + f" ({feat.url})" if feat.url else text


def check(inp: CheckInput) -> Iterator[Finding]:
    doc = html_doc(inp)
    if doc is None:
        return
    idx = index()
    used = features_used(doc)
    ganga = False
    for slug, use in used.items():
        feat = idx.features.get(slug)
        if feat is None or slug in _BENIGN:
            continue
        gaps = feat.gaps(inp.clients)
        for cid in [c for c, (lvl, notes) in gaps.items() if lvl == "a" and _is_ganga(notes)]:
            del gaps[cid]
            ganga = True
        if not gaps:
            continue
        worst = Severity.WARNING if any(lvl == "n" for lvl, _ in gaps.values()) else Severity.INFO
        yield Finding(
            id=f"clients.{slug}",
            severity=worst,
            category="clients",
            message=_message(feat, use, gaps),
            where=use.where,
            clients=tuple(gaps),
        )
    style = used.get("html-style")
    if ganga and style is not None:
        yield Finding(
            id="clients.gmail-non-google-accounts",
            severity=Severity.INFO,
            category="clients",
            message=(
                "Gmail's apps ignore <style> blocks in mail read through a non-Google account "
                "(IMAP, Outlook.com): the class, id and element selectors here do nothing "
                "there. CSS that matters should be inline (the relay's inline_css option, or "
                "Inline CSS locally)."
            ),
            where=style.where,
            clients=tuple(c for c in _GANGA_CLIENTS if c in inp.clients),
        )
