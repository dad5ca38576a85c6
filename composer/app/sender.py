"""A profile's saved sender: it fills From when the draft has none (the CLI and the window).

One rule for both, so ``composer send --profile ent`` and the window agree: a From the person
typed always wins; an empty From takes the profile's ``default_from``; a profile without one
leaves the draft as it was (validation then says "From: is required").
"""

from __future__ import annotations

from dataclasses import replace

from composer.core.draft import Draft, parse_recipient
from composer.transport.profiles.store import Profile

__all__ = ["from_is_empty", "with_profile_from"]


def from_is_empty(draft: Draft) -> bool:
    return not draft.from_addr.email.strip() and not draft.from_addr.name.strip()


def with_profile_from(draft: Draft, profile: Profile | None) -> Draft:
    """``draft`` with the profile's sender when its own From is empty; else ``draft`` itself."""
    if profile is None or not profile.default_from or not from_is_empty(draft):
        return draft
    return replace(draft, from_addr=parse_recipient(profile.default_from))
