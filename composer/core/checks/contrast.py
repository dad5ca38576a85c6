"""Text/background contrast below WCAG 2.1 AA, in light mode and in dark mode.

The cascade is resolved by css-inline (the inliner Composer already ships; no network:
remote stylesheets are never loaded and ``@import`` is stripped first), then the tree is walked
with inheritance: text colour inherits (a link without its own colour is the client's link
blue), the background is the nearest ancestor's ``background-color``, ``background`` colour or
``bgcolor``; an ancestor with a background image makes the background unknown, and that text is
not judged. Dark mode is the same walk with the ``@media (prefers-color-scheme: dark)`` rules
applied on top (as the clients that honour them do); only documents that have such rules are
checked in dark mode, since other clients' automatic inversion cannot be predicted.

AA: 4.5:1 for normal text, 3:1 for large text (24px, or 18.66px bold). Colours are parsed and
compared with coloraide (WCAG 2.1 contrast). One finding per colour pair and mode.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import tinycss2
from lxml.etree import _Element
from tinycss2.ast import (
    AtRule,
    FunctionBlock,
    HashToken,
    IdentToken,
    Node,
    URLToken,
)

from composer.core.checks.cssuse import declarations, parse_stylesheet
from composer.core.checks.doc import Doc, nth_of_key, parse_html
from composer.core.checks.model import Finding, Severity, Where
from composer.core.inline import strip_css_imports

__all__ = ["findings"]

LINK_BLUE = "#0000ee"
_SKIP = {"head", "style", "script", "title", "meta", "link", "br", "img", "hr"}
_DEFAULT_SIZE = {"h1": 32.0, "h2": 24.0, "h3": 18.72, "h4": 16.0, "h5": 13.28, "h6": 10.72}
_BOLD_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "b", "strong", "th"}


@functools.lru_cache(maxsize=2048)
def _color(value: str) -> object | None:
    """A coloraide Color for a CSS colour value, or None (unknown, transparent, currentColor)."""
    from coloraide import Color  # ~30 ms import: only when a document is checked

    v = value.strip().lower()
    if not v or v in ("transparent", "inherit", "currentcolor", "initial", "unset", "none"):
        return None
    try:
        c = Color(v)
        if c.alpha() < 1:
            # Over white: good enough for a warning, and the common case (rgba overlays on white).
            c = Color.layer([c, "white"])
        # hsl(1e308 …), lab(1e300 …), rgb(1e400 …) parse but overflow or turn infinite on the
        # way to sRGB: not a colour anyone sees, and not a reason to stop the other checks.
        if not all(math.isfinite(x) for x in c.convert("srgb").coords(nans=False)):
            return None
    except (ValueError, TypeError, ArithmeticError):
        return None
    return c


@functools.lru_cache(maxsize=4096)
def _ratio(fg: str, bg: str) -> float | None:
    a, b = _color(fg), _color(bg)
    if a is None or b is None:
        return None
    try:
        return float(a.contrast(b, method="wcag21"))  # type: ignore[attr-defined]
    except ArithmeticError:  # far outside sRGB (hsl(1e308 …)): luminance overflows
        return None


@functools.lru_cache(maxsize=1024)
def _hex(value: str) -> str:
    c = _color(value)
    return str(c.to_string(hex=True)) if c is not None else value.lower()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Style:
    color: str | None = None
    background: str | None = None  # a colour; "" = an image (unknown)
    size: str | None = None
    bold: bool | None = None
    hidden: bool = False


def _first_color(tokens: list[Node]) -> str | None:
    for t in tokens:
        if isinstance(t, URLToken) or (isinstance(t, FunctionBlock) and t.lower_name == "url"):
            return ""
        if isinstance(t, HashToken):
            return "#" + str(t.value)
        if isinstance(t, FunctionBlock) and t.lower_name in ("rgb", "rgba", "hsl", "hsla"):
            return str(tinycss2.serialize([t]))
        if isinstance(t, IdentToken) and _color(t.lower_value) is not None:
            return str(t.lower_value)
        if isinstance(t, IdentToken) and t.lower_value == "transparent":
            return None
    return None


@functools.lru_cache(maxsize=4096)
def _style(style: str) -> _Style:
    try:
        return _read_style(style)
    except RecursionError:  # brackets nested thousands deep: not a colour anyone sees
        return _Style()


def _read_style(style: str) -> _Style:
    color = background = size = None
    bold: bool | None = None
    hidden = False
    for d in declarations(style):
        value = tinycss2.serialize(d.value).strip()
        if d.lower_name == "color":
            color = value
        elif d.lower_name in ("background-color", "background"):
            found = _first_color(d.value)
            if found is not None:
                background = found
        elif d.lower_name == "background-image" and "url(" in value.lower():
            background = ""
        elif d.lower_name == "font-size":
            size = value
        elif d.lower_name == "font-weight":
            bold = value.lower() in ("bold", "bolder") or (value.isdigit() and int(value) >= 700)
        elif (
            (d.lower_name == "display" and value.lower() == "none")
            or (d.lower_name in ("visibility",) and value.lower() == "hidden")
            or (
                d.lower_name in ("max-height", "font-size")
                and value.replace(" ", "") in ("0", "0px")
            )
        ):
            hidden = True
    return _Style(color, background, size, bold, hidden)


def _px(value: str | None, parent: float) -> float:
    if not value:
        return parent
    v = value.strip().lower().removesuffix("!important").strip()
    try:
        if v.endswith("px"):
            return float(v[:-2])
        if v.endswith("pt"):
            return float(v[:-2]) * 4 / 3
        if v.endswith("rem"):
            return float(v[:-3]) * 16
        if v.endswith("em"):
            return float(v[:-2]) * parent
        if v.endswith("%"):
            return float(v[:-1]) * parent / 100
    except ValueError:
        return parent
    return parent


def _has_text(el: _Element) -> bool:
    if el.text and el.text.strip():
        return True
    return any(child.tail and child.tail.strip() for child in el)


def _dark_css(doc: Doc) -> str:
    """The rules of every ``@media (prefers-color-scheme: dark)`` block, as one stylesheet."""
    out: list[str] = []
    for style in doc.root.iter("style"):
        for rule in parse_stylesheet(style.text or ""):
            if (
                isinstance(rule, AtRule)
                and rule.lower_at_keyword == "media"
                and "prefers-color-scheme" in tinycss2.serialize(rule.prelude).lower()
                and "dark" in tinycss2.serialize(rule.prelude).lower()
                and rule.content is not None
            ):
                out.append(tinycss2.serialize(rule.content))
    return "\n".join(out)


@functools.lru_cache(maxsize=8)
def _cascaded(html: str, extra_css: str) -> _Element:
    import css_inline  # lazy: ~15 ms import

    inliner = css_inline.CSSInliner(
        load_remote_stylesheets=False,
        keep_link_tags=True,
        keep_style_tags=False,
        extra_css=extra_css or None,
    )
    clean = html.encode("utf-8", "replace").decode("utf-8")  # css-inline refuses lone surrogates
    try:
        return parse_html(inliner.inline(strip_css_imports(clean)))
    except ValueError:
        # css-inline gives up on some malformed CSS (style="#": "End of input"); judge the
        # colours the style attributes give, without the <style> rules.
        return parse_html(clean)


@dataclass
class _Pair:
    fg: str
    bg: str
    ratio: float
    need: float
    first: _Element
    count: int = 1


def _walk(root: _Element, only_inside_content: bool) -> dict[tuple[str, str], _Pair]:
    pairs: dict[tuple[str, str], _Pair] = {}
    body = root.find("body")
    if body is None:
        return pairs
    # For a Markdown body the whole page is walked (the template's backgrounds matter) but only
    # text inside its content cell, the person's own, is judged.
    content = None
    if only_inside_content:
        content = next(
            (td for td in body.iter("td") if "content" in (td.get("class") or "").split()), body
        )

    def visit(
        el: _Element, color: str, bg: str | None, size: float, bold: bool, judge: bool
    ) -> None:
        tag = str(el.tag)
        if tag in _SKIP:
            return
        st = _style(el.get("style") or "")
        if st.hidden:
            return
        bgcolor = el.get("bgcolor")
        if el.get("background"):
            bg = None
        elif st.background is not None:
            bg = st.background or None
        elif bgcolor:
            bg = bgcolor
        color = st.color or (LINK_BLUE if tag == "a" else color)
        size = _px(st.size, size) if st.size else _DEFAULT_SIZE.get(tag, size)
        bold = st.bold if st.bold is not None else (bold or tag in _BOLD_TAGS)
        judge = judge or el is content
        if judge and bg is not None and _has_text(el):
            ratio = _ratio(color, bg)
            if ratio is not None:
                large = size >= 24 or (bold and size >= 18.66)
                need = 3.0 if large else 4.5
                if ratio < need:
                    key = (_hex(color), _hex(bg))
                    if key in pairs:
                        pairs[key].count += 1
                    else:
                        pairs[key] = _Pair(color, bg, ratio, need, el)
        for child in el:
            if isinstance(child.tag, str):
                visit(child, color, bg, size, bold, judge)

    visit(body, "#000000", "#ffffff", 16.0, False, content is None)
    return pairs


def findings(doc: Doc) -> Iterator[Finding]:
    markdown = doc.kind == "markdown"
    dark = _dark_css(doc)
    modes = [("light", "")] + ([("dark", dark)] if dark.strip() else [])
    seen: set[tuple[str, str]] = set()
    for mode, extra in modes:
        root = _cascaded(doc.html, extra)
        pairs = _walk(root, markdown)
        if not pairs:
            continue
        index = nth_of_key(root)
        for key, p in pairs.items():
            if key in seen:
                continue
            seen.add(key)
            k, n = index[p.first]
            where = doc.where_key(k, n, p.first)
            more = f" ({p.count} places; the first is here)" if p.count > 1 else ""
            yield Finding(
                f"a11y.contrast-{mode}",
                Severity.WARNING,
                "accessibility",
                f"{'In dark mode, t' if mode == 'dark' else 'T'}ext {key[0]} on {key[1]} has a "
                f"contrast of {p.ratio:.1f}:1, below WCAG AA's {p.need:g}:1{more}.",
                where if where.line is not None or not markdown else Where(doc.part),
            )
