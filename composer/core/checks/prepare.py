"""Build a CheckInput from a draft with the same render and build the send uses."""

from __future__ import annotations

from collections.abc import Sequence

from composer.core.build import OutgoingMessage, build_messages
from composer.core.checks.model import DEFAULT_CLIENTS, CheckInput, ProfileFacts
from composer.core.draft import Draft, Recipient
from composer.core.errors import InvalidInput
from composer.core.render import Rendered, render

__all__ = ["check_input"]


def check_input(
    draft: Draft,
    profile: ProfileFacts,
    *,
    clients: Sequence[str] = DEFAULT_CLIENTS,
    rendered: Rendered | None = None,
    messages: Sequence[OutgoingMessage] | None = None,
    seeds: list[Recipient] | None = None,
    sandbox_sends_used: int | None = None,
    online: bool = False,
) -> CheckInput:
    """Render and build ``draft`` (unless the caller already did, as the preview has) and
    wrap it for run_checks. A draft that does not build yet (validation errors: those are
    reported by validation, not here) is checked without its wire message."""
    rendered = rendered if rendered is not None else render(draft)
    if messages is None:
        try:
            messages = build_messages(draft, seeds=seeds, rendered=rendered)
        except (InvalidInput, UnicodeError):
            # UnicodeError: a lone surrogate (a draft file can hold "\ud800") that validation
            # lets through and the MIME encoder refuses; the send reports it, the checks go on.
            messages = ()
    return CheckInput(
        draft=draft,
        rendered=rendered,
        messages=tuple(messages),
        profile=profile,
        clients=tuple(clients),
        sandbox_sends_used=sandbox_sends_used,
        online=online,
    )
