"""Running the families of checks; the package's docstring says what they are.

``composer.core.checks`` hands these names out on first use (PEP 562), so importing the
checks' vocabulary does not import the families.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from composer.core.checks import (
    accessibility,
    amp,
    clients,
    contrast,
    cssuse,
    doc,
    links,
    relay,
    size,
)
from composer.core.checks.model import (
    CATEGORIES,
    DEFAULT_CLIENTS,
    PARTS,
    CheckInput,
    Finding,
    ProfileFacts,
    Severity,
    Where,
)
from composer.core.checks.prepare import check_input
from composer.core.draft import BodyFormat
from composer.core.htmlscan import MAX_ATTRIBUTES, most_attributes

__all__ = [
    "CATEGORIES",
    "DEFAULT_CLIENTS",
    "FAMILIES",
    "MAX_PER_ID",
    "CheckInput",
    "Family",
    "Finding",
    "ProfileFacts",
    "Severity",
    "Where",
    "check_input",
    "clear_caches",
    "run_checks",
    "sort_findings",
    "summarize",
]

Family = Callable[[CheckInput], Iterable[Finding]]

# Findings of one id listed at most (a body of 50,000 <img> without alt); the rest are counted.
MAX_PER_ID = 500

# One entry per family, in the order a reader meets them. The relay-aware family goes first.
FAMILIES: list[Family] = [
    relay.check,
    clients.check,
    accessibility.check,
    links.check,
    size.check,
    amp.check,
]


def _family_name(family: Family) -> str:
    return str(getattr(family, "__module__", "") or "").rsplit(".", 1)[-1] or repr(family)


def _failed(family: Family, exc: BaseException) -> Finding:
    name = _family_name(family)
    detail = str(exc) or type(exc).__name__
    return Finding(
        id=f"check.{name}-failed",
        severity=Severity.INFO,
        category=name if name in CATEGORIES else "relay",
        message=f"check {name} could not run: {detail}",
        where=Where("options"),
    )


_PART_RANK = {p: i for i, p in enumerate(PARTS)}
_NO_LINE = 1 << 30


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then warnings, then notes; within each, by part, line and column."""
    return sorted(
        findings,
        key=lambda f: (
            f.severity.rank,
            _PART_RANK.get(f.where.part, len(PARTS)),
            f.where.line if f.where.line is not None else _NO_LINE,
            f.where.column if f.where.column is not None else 0,
            f.id,
        ),
    )


def _attribute_bomb(inp: CheckInput) -> Finding | None:
    """A warning instead of the checks when an element has so many attributes that every
    HTML parser would take minutes over it (htmlscan.py)."""
    for part, html in (("html", inp.rendered.html), ("amp", inp.rendered.amp)):
        if html is None:
            continue
        count, offset = most_attributes(html)
        if count <= MAX_ATTRIBUTES:
            continue
        line = None  # a line only where the text is what the person edits
        if part == "html" and inp.draft.body_format == BodyFormat.MARKDOWN:
            part = "markdown"
        elif part == "amp" or html == inp.draft.body:
            line = html.count("\n", 0, offset) + 1
        return Finding(
            id="check.too-many-attributes",
            severity=Severity.WARNING,
            category="size",
            message=(
                f"An element has over {MAX_ATTRIBUTES} attributes; no mail client needs that "
                "many and reading them takes minutes, so the other checks did not run."
            ),
            where=Where(part, line),
        )
    return None


def run_checks(inp: CheckInput, families: Iterable[Family] | None = None) -> list[Finding]:
    """Every family's findings on ``inp``, sorted (sort_findings)."""
    bomb = _attribute_bomb(inp)
    if bomb is not None:
        return [bomb]
    found: list[Finding] = []
    for family in FAMILIES if families is None else families:
        try:
            found.extend(family(inp))
        except Exception as exc:  # a broken check must never block a send or show a traceback
            found.append(_failed(family, exc))
    return _capped(sort_findings(found))


def _capped(findings: list[Finding]) -> list[Finding]:
    """At most MAX_PER_ID findings of one id (the first ones), then one note with the count
    of the rest: 50,000 images without alt are not 50,000 rows for anyone to read."""
    kept: list[Finding] = []
    first: dict[str, Finding] = {}
    extra: dict[str, int] = {}
    for f in findings:
        n = extra.get(f.id, -MAX_PER_ID)
        extra[f.id] = n + 1
        if n < 0:
            kept.append(f)
            first.setdefault(f.id, f)
    over = {fid: n for fid, n in extra.items() if n > 0}
    if not over:
        return findings
    for fid, n in over.items():
        f = first[fid]
        kept.append(
            Finding(
                id=f"check.more-{fid}",
                severity=Severity.INFO,
                category=f.category,
                message=f"{n} more findings like this one ({fid}) are not listed: only the "
                f"first {MAX_PER_ID} of each kind are. {f.message}",
                where=Where(f.where.part),
            )
        )
    return sort_findings(kept)


def summarize(findings: Iterable[Finding]) -> dict[str, object]:
    """Counts: ``{"total": n, "error": n, "warning": n, "info": n, "categories": {...}}``;
    each category maps to its own per-severity counts (only categories with findings)."""
    counts: dict[str, int] = {str(s): 0 for s in Severity}
    categories: dict[str, dict[str, int]] = {}
    total = 0
    for f in findings:
        total += 1
        counts[str(f.severity)] += 1
        cat = categories.setdefault(f.category, {str(s): 0 for s in Severity})
        cat[str(f.severity)] += 1
    return {"total": total, **counts, "categories": categories}


def clear_caches() -> None:
    """Forget every parse and every computed style: the next run sees a document for the first
    time (the benchmark's "fresh" figure). caniemail's index stays: it is loaded once."""
    for fn in (
        doc.parse_html, doc._source_index, doc._lines, doc._doc,
        cssuse.parse_stylesheet, cssuse.stylesheet_features, cssuse.declaration_features,
        cssuse.declarations,
        cssuse._property_slug, links._problem,
        contrast._color, contrast._ratio, contrast._hex, contrast._style, contrast._cascaded,
    ):  # fmt: skip
        fn.cache_clear()
