"""Drafts, messages and endpoints for the REST tests, built the way the window and
`composer send` build them (the real build_messages, no hand-made bytes)."""

from __future__ import annotations

from restserver import GOOD_KEY, FaultApi

from composer.core.build import OutgoingMessage, build_messages
from composer.core.draft import Draft, Options, Recipient
from composer.transport.profiles.credentials import Secret
from composer.transport.rest.session import RestEndpoint


def endpoint_for(api: FaultApi, key: str = GOOD_KEY, **kw: object) -> RestEndpoint:
    return RestEndpoint(
        api.url,
        Secret(key),
        str(api.ca_file),
        timeout=kw.pop("timeout", 5.0),  # type: ignore[arg-type]
        final_timeout=kw.pop("final_timeout", 5.0),  # type: ignore[arg-type]
    )


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
