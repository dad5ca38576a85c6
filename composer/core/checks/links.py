"""Family: links (being written)."""

from __future__ import annotations

from collections.abc import Iterator

from composer.core.checks.model import CheckInput, Finding

__all__ = ["check"]


def check(inp: CheckInput) -> Iterator[Finding]:
    return iter(())
