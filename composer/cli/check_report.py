"""How findings are printed: grouped by category for ``composer check``, one warning line each
on stderr for ``composer send``, and the ``--json`` document."""

from __future__ import annotations

import sys
import textwrap
from typing import Any, TextIO

from composer.core.checks import CATEGORIES, Finding, Severity, Where, summarize

__all__ = ["as_json", "place", "print_grouped", "warn_errors"]

TITLES = {
    "relay": "Relay",
    "clients": "Email clients",
    "accessibility": "Accessibility",
    "links": "Links",
    "size": "Size and images",
    "amp": "AMP",
}
_WIDTH = 100
_INDENT = " " * 11


def place(w: Where) -> str:
    """``html:12:5``, ``markdown:3``, ``options: sandbox``, ``headers: From``, ``amp``."""
    if w.line is not None:
        return f"{w.part}:{w.line}" + (f":{w.column}" if w.column is not None else "")
    if w.part in ("options", "headers") and w.element:
        return f"{w.part}: {w.element}"
    return w.part


def _client_names(ids: tuple[str, ...]) -> str:
    try:
        from composer.core.checks.caniemail import client_name

        return ", ".join(client_name(c) for c in ids)
    except Exception:  # the names are a courtesy; the ids say the same
        return ", ".join(ids)


def _lines(f: Finding) -> list[str]:
    head = f"  {str(f.severity).upper():<8} {place(f.where)}"
    if f.where.element and f.where.line is not None:
        head += f"  {f.where.element}"
    head += f"  [{f.id}]"
    out = [head]
    out += textwrap.wrap(f.message, _WIDTH, initial_indent=_INDENT, subsequent_indent=_INDENT)
    if f.clients:
        out += textwrap.wrap(
            "Clients: " + _client_names(f.clients),
            _WIDTH,
            initial_indent=_INDENT,
            subsequent_indent=_INDENT,
        )
    return out


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def print_grouped(findings: list[Finding], *, about: str, out: TextIO = sys.stdout) -> None:
    """Findings under a heading per category (in CATEGORIES order), errors first in each."""
    if not findings:
        print(f"No findings ({about}).", file=out)
        return
    order = {c: i for i, c in enumerate(CATEGORIES)}
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.category, []).append(f)
    for category in sorted(groups, key=lambda c: order.get(c, len(order))):
        items = sorted(groups[category], key=lambda f: f.severity.rank)
        print(f"{TITLES.get(category, category)} ({len(items)})", file=out)
        for f in items:
            print("\n".join(_lines(f)), file=out)
        print(file=out)
    s = summarize(findings)
    counts = [_count(int(str(s["error"])), "error"), _count(int(str(s["warning"])), "warning"),
              _count(int(str(s["info"])), "note")]  # fmt: skip
    print(f"{', '.join(counts)} ({about})", file=out)


def warn_errors(findings: list[Finding], *, strict: bool, out: TextIO = sys.stderr) -> None:
    """``composer send``: each error-level finding as one warning line (an error with
    ``--strict``), then how many there are; nothing when there is no error."""
    errors = [f for f in findings if f.severity is Severity.ERROR]
    word = "error" if strict else "warning"
    for f in errors:
        print(f"{word}: check {f.id} ({place(f.where)}): {f.message}", file=out)
    if errors:
        rest = len(findings) - len(errors)
        more = f" and {_count(rest, 'other finding')}" if rest else ""
        print(f"{word}: {_count(len(errors), 'check error')}{more}: composer check shows them "
              "all", file=out)  # fmt: skip


def as_json(findings: list[Finding], **extra: Any) -> dict[str, Any]:
    return {"findings": [f.to_json() for f in findings], "summary": summarize(findings), **extra}
