"""Drafts and messages built the way the window and `composer send` build them (the real
build_messages, no hand-made bytes)."""

from __future__ import annotations

from composer.core.build import OutgoingMessage, build_messages
from composer.core.draft import Draft, Options, Recipient
from composer.core.validate import Severity, validate


def draft(**changes: object) -> Draft:
    base = Draft(
        from_addr=Recipient("ann@example.com", "Ann Example"),
        to=[Recipient("bob@example.com", "Bob")],
        subject="Quarterly news",
        body="# Hello\n\nThe *news*.\n",
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def full_draft() -> Draft:
    return draft(
        cc=[Recipient("cy@example.com", "Cy Q. Public"), Recipient("cat@example.com")],
        bcc=[Recipient("dee@example.com", "Dee")],
        campaign_id="spring",
        tags=["news", "q2"],
        metadata={"batch": 7},
        options=Options(open_tracking=False, transactional=True, ip_pool="sp_shared"),
    )


def messages(d: Draft | None = None, **kw: object) -> list[OutgoingMessage]:
    return build_messages(d or draft(), **kw)  # type: ignore[arg-type]


def ok_draft(**changes: object) -> Draft:
    """The smallest draft that validates: From, one To, a Subject and a one-word body."""
    base: dict[str, object] = dict(
        from_addr=Recipient("ann@example.com", "Ann"),
        to=[Recipient("bob@example.com")],
        subject="Hello",
        body="Hi",
    )
    base.update(changes)
    return Draft(**base)  # type: ignore[arg-type]


def hello_draft(**changes: object) -> Draft:
    """A valid Markdown draft with a link: where the build and fan-out tests start."""
    base: dict[str, object] = dict(
        from_addr=Recipient("ann@example.com", "Ann"),
        to=[Recipient("bob@example.com", "Bob")],
        subject="Hello",
        body="# Hi\n\nSee [the site](https://example.com/x).",
    )
    base.update(changes)
    return Draft(**base)  # type: ignore[arg-type]


def problems(draft: Draft, severity: Severity = Severity.ERROR) -> dict[str, str]:
    """What validate() says about ``draft`` at ``severity``, by field."""
    return {p.field: p.message for p in validate(draft) if p.severity is severity}
