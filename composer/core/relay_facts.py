"""What the relay does when a message leaves an option out, per provider and road: the one
place these facts live. The options pane's tooltips (gui/option_help.py), the relay-aware
checks (core/checks/relay.py), the size estimate (core/checks/size.py), the Enterprise preset's
note (transport/profiles/providers.py) and the local relay's sandbox allowance all read them
from here, so they cannot disagree (tests/core/test_relay_facts.py holds them to it).

Sources, in /work/shared/seeds (the relay's documentation; see its README):
- 000_08097f2a28788740.txt, SparkPost SMTP API (current): "SMTP click and open tracking are
  disabled by default"; sandbox domain sparkpostbox.com, "a lifetime allowance of 5 sandbox
  domain messages".
- 001_3df7407459223d49.txt, the same, older edition: "SparkPost Enterprise customers: SMTP click
  and open tracking are enabled by default. Please check with your TAM"; "SparkPost customers:
  ... disabled by default", "may also be set account-wide in your SMTP relay account settings";
  the allowance was 50 then; skip_suppression is marked "Enterprise"; sandbox "available for
  SparkPost customers".
- 004_344b2a639e5e646e.txt, Bird SMTP API: Enterprise "enabled by default", otherwise
  "disabled by default"; sandbox domain birdemailbox.com, "a lifetime allowance of 5"; sandbox
  "Not available for Enterprise accounts"; skip_suppression "Enterprise".
- 002_c1efd8793bf64eb9.txt, API overview: "limited to 5 emails for the lifetime of your
  SparkPost account" (003, its older edition: 50).
Not in the seeds (they cover the SMTP API): over the REST Transmissions API open and click
tracking default to on (the Transmissions API reference; SparkPost's python-sparkpost documents
``track_opens`` / ``track_clicks`` as "Defaults to True").

Provider ids are transport/profiles/providers.py's Provider values (core cannot import it;
tests/core/test_relay_facts.py checks the two lists are the same).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ALL_SANDBOX_DOMAINS",
    "OLD_SANDBOX_ALLOWANCE",
    "PROVIDERS",
    "SANDBOX_ALLOWANCE",
    "SANDBOX_DOMAINS",
    "TRANSPORTS",
    "RelayFacts",
    "facts_for",
]

PROVIDERS = ("sparkpost", "sparkpost-eu", "bird", "bird-eu", "custom", "local")
TRANSPORTS = ("smtp", "rest")

# seeds 000, 002, 004: 5 now; 001, 003 (the older editions): 50, which accounts of that time
# may still have. The advice says both; the local relay enforces the current 5.
SANDBOX_ALLOWANCE = 5
OLD_SANDBOX_ALLOWANCE = 50

# provider -> the sandbox From domain (000: sparkpostbox.com; 004: birdemailbox.com).
# Enterprise ("custom") has none: "Not available for Enterprise accounts" (004).
SANDBOX_DOMAINS: dict[str, str] = {
    "sparkpost": "sparkpostbox.com",
    "sparkpost-eu": "sparkpostbox.com",
    "bird": "birdemailbox.com",
    "bird-eu": "birdemailbox.com",
}
ALL_SANDBOX_DOMAINS = ("sparkpostbox.com", "birdemailbox.com")

_LABELS = {
    "sparkpost": "SparkPost",
    "sparkpost-eu": "SparkPost EU",
    "bird": "Bird",
    "bird-eu": "Bird EU",
    "custom": "SparkPost Enterprise (custom)",
    "local": "the local relay",
}
_OWNER = {"sparkpost": "SparkPost", "sparkpost-eu": "SparkPost", "bird": "Bird", "bird-eu": "Bird"}


@dataclass(frozen=True)
class RelayFacts:
    """What applies to one profile (provider and road)."""

    provider: str
    transport: str
    label: str
    enterprise: bool
    local: bool
    tracking_on_by_default: bool | None  # None: nothing is tracked (the local relay)
    tracking_why: str  # one sentence: the default and where it comes from
    sandbox_domain: str | None  # None: no sandbox (Enterprise), or any known one (local)

    @property
    def sandbox_available(self) -> bool:
        """Enterprise has no sandbox (004); the local relay takes either domain."""
        return not self.enterprise

    @property
    def skip_suppression_honoured(self) -> bool:
        """skip_suppression is an Enterprise option (001, 004)."""
        return self.enterprise

    def tracks(self, option: bool | None) -> bool:
        """Whether opens (or clicks) are tracked: the option as set, else the default. The
        local relay tracks nothing, but an option set on purpose is taken at its word: the
        message is meant for a relay that will."""
        if option is not None:
            return option
        return bool(self.tracking_on_by_default)

    def sandbox_note(self) -> str:
        """The sandbox domain and allowance, in a phrase (for the option's tooltip)."""
        if self.enterprise:
            return "none: the sandbox is not available on Enterprise accounts"
        if self.sandbox_domain is None:
            return (
                f"{' or '.join(ALL_SANDBOX_DOMAINS)} (the local relay takes either and counts "
                f"sandbox sends against the allowance of {SANDBOX_ALLOWANCE})"
            )
        return (
            f"{self.sandbox_domain} ({_OWNER[self.provider]}: {SANDBOX_ALLOWANCE} messages per "
            "account, for its lifetime)"
        )


def facts_for(provider: str, transport: str = "smtp") -> RelayFacts:
    """The facts for a profile's provider (a Provider value) and transport ("smtp"/"rest")."""
    if provider not in _LABELS:
        raise ValueError(f"unknown provider {provider!r}")
    if transport not in TRANSPORTS:
        raise ValueError(f"unknown transport {transport!r}")
    label = _LABELS[provider]
    if provider == "local":
        why = (
            "the local relay on this computer tracks nothing (it keeps the option in the "
            "delivered copy); SparkPost and Bird SMTP would leave tracking off, Enterprise "
            "would turn it on"
        )
        return RelayFacts(provider, transport, label, False, True, None, why, None)
    enterprise = provider == "custom"
    sandbox = SANDBOX_DOMAINS.get(provider)
    if transport == "rest":
        who = "Enterprise" if enterprise else _OWNER[provider]
        why = f"open and click tracking are ON by default for {who} over the REST Transmissions API"
        return RelayFacts(provider, transport, label, enterprise, False, True, why, sandbox)
    if enterprise:
        why = (
            "open and click tracking are ON by default for Enterprise accounts over SMTP "
            "(check with your TAM)"
        )
        return RelayFacts(provider, transport, label, True, False, True, why, None)
    why = (
        f"open and click tracking are OFF by default for {label} SMTP, unless the account "
        "turns them on in its SMTP relay settings"
    )
    return RelayFacts(provider, transport, label, False, False, False, why, sandbox)
