"""The ``run`` fixture for the pre-send checks' tests; the helpers are in support/checks.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.checks import Run, make_input

from composer.core.checks import Family, Finding, run_checks
from composer.core.draft import BodyFormat


@pytest.fixture
def run() -> Callable[[Family], Run]:
    """``run(family)(body, **draft_fields)`` -> that family's findings (sorted)."""

    def bind(family: Family) -> Run:
        def go(body: str, fmt: BodyFormat = BodyFormat.HTML, **kw: object) -> list[Finding]:
            return run_checks(make_input(body, fmt, **kw), families=[family])  # type: ignore[arg-type]

        return go

    return bind
