"""Which caniemail features a piece of CSS uses: properties, values, at-rules and selectors.

CSS is parsed with tinycss2 (a maintained CSS Syntax Level 3 parser), never with regexes.
Both entry points are cached per text: an inlined document repeats the same ``style``
attribute on hundreds of elements, and the window re-checks on every preview.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import tinycss2
from tinycss2.ast import (
    AtRule,
    Declaration,
    DimensionToken,
    FunctionBlock,
    HashToken,
    IdentToken,
    LiteralToken,
    Node,
    ParenthesesBlock,
    PercentageToken,
    QualifiedRule,
    SquareBracketsBlock,
    WhitespaceToken,
)

from composer.core.checks.caniemail import index

__all__ = [
    "declaration_features",
    "declarations",
    "parse_stylesheet",
    "stylesheet_features",
]

Use = tuple[str, str]  # (caniemail slug, what was used, e.g. "display:flex")

_DISPLAY = {
    "flex": "css-display-flex",
    "inline-flex": "css-display-flex",
    "grid": "css-display-grid",
    "inline-grid": "css-display-grid",
    "none": "css-display-none",
}
_FUNCTIONS = {
    "rgb": "css-rgb",
    "rgba": "css-rgba",
    "linear-gradient": "css-linear-gradient",
    "repeating-linear-gradient": "css-linear-gradient",
    "radial-gradient": "css-radial-gradient",
    "repeating-radial-gradient": "css-radial-gradient",
    "conic-gradient": "css-conic-gradient",
    "repeating-conic-gradient": "css-conic-gradient",
    "calc": "css-unit-calc",
    "clamp": "css-function-clamp",
    "min": "css-function-min",
    "max": "css-function-max",
    "var": "css-variables",
    "light-dark": "css-function-light-dark",
    "lab": "css-modern-color",
    "lch": "css-modern-color",
    "oklab": "css-modern-color",
    "oklch": "css-modern-color",
}
_PREFIX_RULES = (
    # (prefix, slug) checked in order after an exact "css-<name>" match failed
    ("margin-inline-", "css-margin-inline-start-end"),
    ("margin-block-", "css-margin-block-start-end"),
    ("margin-inline", "css-margin-inline-block"),
    ("margin-block", "css-margin-inline-block"),
    ("margin-", "css-margin"),
    ("padding-inline-", "css-padding-inline-start-end"),
    ("padding-block-", "css-padding-block-start-end"),
    ("padding-inline", "css-padding-inline-block"),
    ("padding-block", "css-padding-inline-block"),
    ("padding-", "css-padding"),
    ("border-start-", "css-border-radius-logical"),
    ("border-end-", "css-border-radius-logical"),
    ("border-inline-start", "css-border-inline-block-individual"),
    ("border-inline-end", "css-border-inline-block-individual"),
    ("border-block-start", "css-border-inline-block-individual"),
    ("border-block-end", "css-border-inline-block-individual"),
    ("border-inline-", "css-border-inline-block-longhand"),
    ("border-block-", "css-border-inline-block-longhand"),
    ("border-inline", "css-border-inline-block"),
    ("border-block", "css-border-inline-block"),
    ("background-", "css-background"),
    ("grid-template", "css-grid-template"),
    ("column-", "css-column-layout-properties"),
    ("columns", "css-column-layout-properties"),
    ("row-gap", "css-gap"),
    ("overflow-", "css-overflow"),
    ("transition-", "css-transition"),
    ("animation-", "css-animation"),
    ("transform-", "css-transform"),
    ("scroll-snap-", "css-scroll-snap"),
    ("text-emphasis-", "css-text-emphasis"),
    ("list-style-", "css-list-style"),
    ("outline-", "css-outline"),
)
_SIDES = {"top", "left", "right", "bottom"}
_MEDIA_FEATURES = {
    "prefers-color-scheme": "css-at-media-prefers-color-scheme",
    "prefers-reduced-motion": "css-at-media-prefers-reduced-motion",
    "orientation": "css-at-media-orientation",
    "hover": "css-at-media-hover",
}
_SYSTEM_FONTS = {"system-ui", "ui-serif", "ui-sans-serif", "ui-monospace", "ui-rounded"}


def _slug_exists(slug: str) -> bool:
    return slug in index().features


@functools.lru_cache(maxsize=1024)
def _property_slug(name: str) -> str | None:
    if name.startswith("-") or name.startswith("mso-"):
        return None  # vendor extensions: caniemail has no data, and they are meant to be partial
    if name in _SIDES:
        return "css-left-right-top-bottom"
    if name.startswith("border-") and name.endswith("-radius"):
        return "css-border-radius"
    if _slug_exists(f"css-{name}"):
        return f"css-{name}"
    for prefix, slug in _PREFIX_RULES:
        if name.startswith(prefix):
            return slug
    if name.startswith("border-"):
        return "css-border"
    return None


def _walk(tokens: Iterable[Node]) -> Iterator[Node]:
    """Every token, depth first, without recursion (CSS can nest brackets thousands deep)."""
    stack = [iter(tokens)]
    while stack:
        t = next(stack[-1], None)
        if t is None:
            stack.pop()
            continue
        yield t
        if isinstance(t, FunctionBlock):
            stack.append(iter(t.arguments))
        elif isinstance(t, (ParenthesesBlock, SquareBracketsBlock)):
            stack.append(iter(t.content))


def _value_uses(name: str, value: list[Node]) -> Iterator[Use]:
    for t in _walk(value):
        if isinstance(t, FunctionBlock):
            slug = _FUNCTIONS.get(t.lower_name)
            if slug in ("css-rgb", "css-rgba") and any(
                isinstance(a, LiteralToken) and a.value == "," for a in t.arguments
            ):
                # Clients' partial support of rgb()/rgba() is the space-separated syntax
                # (caniemail's notes); the comma syntax works everywhere.
                continue
            if slug:
                yield slug, f"{t.lower_name}()"
        elif isinstance(t, DimensionToken):
            unit = t.lower_unit
            if unit != "px" and _slug_exists(f"css-unit-{unit}"):
                yield f"css-unit-{unit}", f"{unit} units"
        elif isinstance(t, PercentageToken):
            yield "css-unit-percent", "% values"
        elif isinstance(t, IdentToken):
            if t.lower_value == "initial":
                yield "css-unit-initial", "initial"
            elif t.lower_value in _SYSTEM_FONTS and name in ("font-family", "font"):
                yield "css-sytem-ui", t.lower_value


def _declaration_uses(decl: Declaration) -> Iterator[Use]:
    name = decl.lower_name
    if name == "display":
        idents = [t.lower_value for t in decl.value if isinstance(t, IdentToken)]
        kind = idents[0] if idents else ""
        yield _DISPLAY.get(kind, "css-display"), f"display:{kind}"
    else:
        slug = _property_slug(name)
        if slug is not None:
            yield slug, name
    if decl.important:
        yield "css-important", "!important"
    yield from _value_uses(name, decl.value)


@functools.lru_cache(maxsize=4096)
def declarations(style: str) -> tuple[Declaration, ...]:
    """A ``style`` attribute's declarations, parsed once for every family (read-only)."""
    try:
        parsed = tinycss2.parse_declaration_list(style, skip_comments=True, skip_whitespace=True)
    except RecursionError:  # brackets nested thousands deep: no client reads that either
        return ()
    return tuple(d for d in parsed if isinstance(d, Declaration))


@functools.lru_cache(maxsize=4096)
def declaration_features(style: str) -> tuple[Use, ...]:
    """The features a ``style`` attribute's declarations use."""
    out: list[Use] = []
    for decl in declarations(style):
        out.extend(_declaration_uses(decl))
    return tuple(dict.fromkeys(out))


def _selector_uses(prelude: list[Node]) -> Iterator[Use]:
    tokens = [t for t in prelude]
    compound = 0  # simple class/id selectors in the current compound selector
    pending_space = False
    started = False
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if isinstance(t, WhitespaceToken):
            pending_space = started
            i += 1
            continue
        if isinstance(t, LiteralToken) and t.value in (",", ">", "+", "~"):
            yield {
                ",": ("css-selector-grouping", "grouped selectors (a, b)"),
                ">": ("css-selector-child", "child selectors (a > b)"),
                "+": ("css-selector-adjacent-sibling", "adjacent sibling selectors (a + b)"),
                "~": ("css-selector-general-sibling", "general sibling selectors (a ~ b)"),
            }[t.value]
            compound, pending_space, started = 0, False, t.value != ","
            i += 1
            continue
        if pending_space:
            yield "css-selector-descendant", "descendant selectors (a b)"
            compound = 0
        pending_space, started = False, True
        if isinstance(t, HashToken):
            yield "css-selector-id", "#id selectors"
            compound += 1
        elif isinstance(t, LiteralToken) and t.value == "." and i + 1 < len(tokens):
            yield "css-selector-class", ".class selectors"
            compound += 1
            i += 1
        elif isinstance(t, LiteralToken) and t.value == "*":
            yield "css-selector-universal", "the * selector"
        elif isinstance(t, LiteralToken) and t.value == "&":
            yield "css-nesting", "nesting (&)"
        elif isinstance(t, IdentToken):
            yield "css-selector-type", "element selectors"
        elif isinstance(t, SquareBracketsBlock):
            yield "css-selector-attribute", "[attribute] selectors"
        elif isinstance(t, LiteralToken) and t.value == ":" and i + 1 < len(tokens):
            element = isinstance(tokens[i + 1], LiteralToken) and tokens[i + 1].value == ":"
            j = i + 2 if element else i + 1
            nxt = tokens[j] if j < len(tokens) else None
            pname = ""
            if isinstance(nxt, IdentToken):
                pname = nxt.lower_value
            elif isinstance(nxt, FunctionBlock):
                pname = nxt.lower_name
            if pname:
                kind = "element" if element or pname in ("before", "after") else "class"
                slug = f"css-pseudo-{kind}-{pname}"
                if _slug_exists(slug):
                    yield slug, (":" if kind == "class" else "::") + pname
            i = j
        if compound == 2:
            yield "css-selector-chaining", "chained selectors (.a.b)"
        i += 1


def _media_uses(prelude: list[Node]) -> Iterator[Use]:
    for t in _walk(prelude):
        if isinstance(t, IdentToken):
            name = t.lower_value.removeprefix("min-").removeprefix("max-")
            if name in _MEDIA_FEATURES:
                yield _MEDIA_FEATURES[name], f"@media ({name})"
            elif name.endswith("device-pixel-ratio") or name == "resolution":
                yield "css-at-media-device-pixel-ratio", f"@media ({name})"


_MAX_NESTING = 16  # @media inside @supports inside ...: deeper than any client follows


def _rules_uses(rules: Iterable[Node], depth: int = 0) -> Iterator[tuple[str, str, int]]:
    for rule in rules:
        line = int(getattr(rule, "source_line", 1) or 1)
        if isinstance(rule, QualifiedRule):
            for slug, what in _selector_uses(rule.prelude):
                yield slug, what, line
            for decl in tinycss2.parse_declaration_list(
                rule.content, skip_comments=True, skip_whitespace=True
            ):
                if isinstance(decl, Declaration):
                    for slug, what in _declaration_uses(decl):
                        yield slug, what, decl.source_line
        elif isinstance(rule, AtRule):
            kw = rule.lower_at_keyword
            if kw in ("media", "supports", "font-face", "import", "keyframes"):
                yield f"css-at-{kw}", f"@{kw}", line
            if kw == "media":
                for slug, what in _media_uses(rule.prelude):
                    yield slug, what, line
            if kw in ("media", "supports") and rule.content is not None and depth < _MAX_NESTING:
                yield from _rules_uses(
                    tinycss2.parse_rule_list(
                        rule.content, skip_comments=True, skip_whitespace=True
                    ),
                    depth + 1,
                )


@functools.lru_cache(maxsize=64)
def parse_stylesheet(css: str) -> tuple[Node, ...]:
    """A <style> block's rules, parsed once for every family (nobody may change them)."""
    try:
        return tuple(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    except RecursionError:  # blocks nested thousands deep: judged unreadable, not a crash
        return ()


@functools.lru_cache(maxsize=64)
def stylesheet_features(css: str) -> tuple[tuple[str, str, int], ...]:
    """(slug, what, line within ``css``) for everything a <style> block uses."""
    return tuple(_rules_uses(parse_stylesheet(css)))
