"""One source for what the relay does by default (core/relay_facts.py): the options pane's
tooltips, the relay-aware checks, the size estimate and the Enterprise preset's note all say
the same thing for every provider and road, so they cannot drift apart again. (Before, the
tooltip said "OFF by default for SparkPost" on a REST profile, where the check said ON, and the
size estimate counted tracked links on the local relay's REST road, which tracks nothing.)"""

from __future__ import annotations

import pytest

from composer.core.checks import ProfileFacts, check_input, relay
from composer.core.checks.size import tracking_on
from composer.core.draft import Draft, Options, Recipient
from composer.core.relay_facts import PROVIDERS, SANDBOX_ALLOWANCE, TRANSPORTS, facts_for
from composer.gui.option_help import option_tooltips
from composer.relay.sink import Sink
from composer.transport.profiles.providers import PRESETS, Provider

ROADS = [(p, t) for p in PROVIDERS for t in TRANSPORTS]


def _findings(profile: ProfileFacts, sender: str = "ann@example.com", **options: object):
    draft = Draft(
        from_addr=Recipient(sender),
        to=[Recipient("bob@example.com")],
        subject="Hi",
        body="<html><body><p>Hi</p></body></html>",
        options=Options(**options),  # type: ignore[arg-type]
    )
    return {f.id: f for f in relay.check(check_input(draft, profile))}


def _word(text: str) -> str:
    """What a text says the tracking default is."""
    said = {w for w in ("ON by default", "OFF by default", "tracks nothing") if w in text}
    assert len(said) == 1, text
    return said.pop()


def test_the_providers_are_transports_providers() -> None:
    assert set(PROVIDERS) == {p.value for p in Provider}


@pytest.mark.parametrize(("provider", "transport"), ROADS)
def test_tooltip_check_and_size_estimate_agree_on_tracking(provider: str, transport: str) -> None:
    facts = facts_for(provider, transport)
    profile = ProfileFacts(provider, transport)  # type: ignore[arg-type]
    tips = option_tooltips(provider, transport)
    finding = _findings(profile)["relay.tracking-default"]
    said = _word(facts.tracking_why)
    assert _word(tips["open_tracking"]) == _word(tips["click_tracking"]) == said
    assert _word(finding.message) == said
    on = said == "ON by default"
    assert tracking_on(None, profile) is on
    if not facts.local:
        assert ("so they are ON" in finding.message) is on
    # an option set on purpose is taken at its word everywhere
    assert tracking_on(True, profile) is True and tracking_on(False, profile) is False


@pytest.mark.parametrize(("provider", "transport"), ROADS)
def test_tooltip_and_check_agree_on_the_sandbox(provider: str, transport: str) -> None:
    facts = facts_for(provider, transport)
    profile = ProfileFacts(provider, transport)  # type: ignore[arg-type]
    tip = option_tooltips(provider, transport)["sandbox"]
    found = _findings(profile, sandbox=True)
    if not facts.sandbox_available:
        assert "not available" in tip
        assert "relay.sandbox-enterprise" in found
        return
    assert "relay.sandbox-enterprise" not in found
    assert f"allowance: each account may send {SANDBOX_ALLOWANCE}" in found[
        "relay.sandbox-allowance"].message  # fmt: skip
    assert str(SANDBOX_ALLOWANCE) in tip
    if facts.sandbox_domain is not None:
        assert facts.sandbox_domain in tip
        assert f"@{facts.sandbox_domain}" in found["relay.sandbox-from"].message
        ok = _findings(profile, f"t@{facts.sandbox_domain}", sandbox=True)
        assert "relay.sandbox-from" not in ok


@pytest.mark.parametrize(("provider", "transport"), ROADS)
def test_tooltip_and_check_agree_on_skip_suppression(provider: str, transport: str) -> None:
    facts = facts_for(provider, transport)
    tip = option_tooltips(provider, transport)["skip_suppression"]
    found = _findings(ProfileFacts(provider, transport), skip_suppression=True)  # type: ignore[arg-type]
    honoured = "relay.skip-suppression" in found
    assert honoured is facts.skip_suppression_honoured is (provider == "custom")
    assert ("does not honour" in tip) is not honoured
    assert ("relay.skip-suppression-enterprise-only" in found) is not honoured


def test_the_enterprise_note_and_the_local_relay_use_the_same_facts(tmp_path) -> None:
    assert facts_for("custom", "smtp").tracking_why in PRESETS[Provider.CUSTOM].note
    assert Sink(tmp_path).sandbox_limit == SANDBOX_ALLOWANCE


def test_an_unknown_provider_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="provider"):
        facts_for("mailgun", "smtp")
