"""What the relay does by default, per provider and road, as its documentation says.

Sources (shared/seeds): 000/004 are the current SparkPost and Bird SMTP API texts, 001 the older
SparkPost edition (a table of options), 002/003 the API overview. Where two editions differ, the
newer stands; where the older one is still true for some accounts (the sandbox allowance: 5 now,
50 in the older text), the advice says both.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "OLD_SANDBOX_ALLOWANCE",
    "SANDBOX_ALLOWANCE",
    "SANDBOX_DOMAINS",
    "RelayFacts",
    "facts_for",
]

# "Each SparkPost account has a lifetime allowance of 5 sandbox domain messages" (000; 004 says
# the same of Bird). The older edition (001, 003) says 50: accounts of that time may still have it.
SANDBOX_ALLOWANCE = 5
OLD_SANDBOX_ALLOWANCE = 50

# provider -> the sandbox From domain ("using From: something@sparkpostbox.com", 000; Bird:
# birdemailbox.com, 004). Enterprise ("custom") has none: "Not available for Enterprise" (004).
SANDBOX_DOMAINS: dict[str, str] = {
    "sparkpost": "sparkpostbox.com",
    "sparkpost-eu": "sparkpostbox.com",
    "bird": "birdemailbox.com",
    "bird-eu": "birdemailbox.com",
}
ALL_SANDBOX_DOMAINS = ("sparkpostbox.com", "birdemailbox.com")


@dataclass(frozen=True)
class RelayFacts:
    """What applies to one profile: its name for people, whether it is Enterprise, whether open
    and click tracking are on when a message leaves them unset, and why."""

    label: str
    enterprise: bool
    local: bool
    tracking_on_by_default: bool | None  # None: nothing is tracked (the local relay)
    tracking_why: str
    sandbox_domain: str | None  # None: no sandbox (Enterprise), or any known one (local)


def facts_for(provider: str, transport: str) -> RelayFacts:
    """The facts for a ProfileFacts' provider and transport ("smtp" or "rest")."""
    if provider == "local":
        return RelayFacts(
            "the local relay",
            enterprise=False,
            local=True,
            tracking_on_by_default=None,
            tracking_why="the local relay on this computer tracks nothing; on SparkPost or Bird "
            "SMTP they would be off by default, on Enterprise on",
            sandbox_domain=None,
        )
    enterprise = provider == "custom"
    label = "SparkPost Enterprise (custom)" if enterprise else _LABELS.get(provider, provider)
    if transport == "rest":
        # Not in the seeds (they cover the SMTP API): the Transmissions API's options
        # open_tracking and click_tracking "default to true" (developers.sparkpost.com).
        return RelayFacts(
            label, enterprise, False, True,
            f"over {label}'s REST Transmissions API they are on by default",
            None if enterprise else SANDBOX_DOMAINS.get(provider),
        )  # fmt: skip
    if enterprise:
        why = (
            "SparkPost Enterprise accounts have SMTP open and click tracking on by default "
            "(check with your TAM)"
        )
        return RelayFacts(label, True, False, True, why, None)
    why = (
        f"{label} SMTP has open and click tracking off by default (the account's SMTP relay "
        "settings can turn them on)"
    )
    return RelayFacts(label, False, False, False, why, SANDBOX_DOMAINS.get(provider))


_LABELS = {
    "sparkpost": "SparkPost",
    "sparkpost-eu": "SparkPost EU",
    "bird": "Bird",
    "bird-eu": "Bird EU",
}
