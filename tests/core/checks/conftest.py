"""Build a small message and run one family of checks on it, as composer check would."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from composer.core.checks import (
    DEFAULT_CLIENTS,
    CheckInput,
    Family,
    Finding,
    ProfileFacts,
    check_input,
    run_checks,
)
from composer.core.draft import BodyFormat, Draft, Options, Recipient

SPARKPOST = ProfileFacts(provider="sparkpost", transport="smtp", name="test")

Run = Callable[..., list[Finding]]


def make_draft(body: str, fmt: BodyFormat = BodyFormat.HTML, **kw: Any) -> Draft:
    options = kw.pop("options", None) or Options()
    return Draft(
        from_addr=Recipient("a@example.com"),
        to=[Recipient("b@example.com")],
        subject=kw.pop("subject", "Hi"),
        body=body,
        body_format=fmt,
        options=options,
        **kw,
    )


def make_input(
    body: str,
    fmt: BodyFormat = BodyFormat.HTML,
    *,
    profile: ProfileFacts = SPARKPOST,
    clients: Sequence[str] = DEFAULT_CLIENTS,
    **kw: Any,
) -> CheckInput:
    return check_input(make_draft(body, fmt, **kw), profile, clients=clients)


@pytest.fixture
def run() -> Callable[[Family], Run]:
    """``run(family)(body, **draft_fields)`` -> that family's findings (sorted)."""

    def bind(family: Family) -> Run:
        def go(body: str, fmt: BodyFormat = BodyFormat.HTML, **kw: Any) -> list[Finding]:
            return run_checks(make_input(body, fmt, **kw), families=[family])

        return go

    return bind


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]
