"""Small messages for the pre-send checks' tests (tests/core/checks): build one and run a family
of checks on it, as composer check would. A module, not conftest.py, so that test files import
it by name whichever folders one pytest run collects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from composer.core.checks import (
    DEFAULT_CLIENTS,
    CheckInput,
    Finding,
    ProfileFacts,
    check_input,
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


def ids(findings: list[Finding]) -> list[str]:
    return [f.id for f in findings]
