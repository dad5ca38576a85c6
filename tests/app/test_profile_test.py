"""The one profile test (composer.app.profile_test), used by `composer profile test` and the
window's Profiles dialog: each profile is tested over its own protocol, against the real local
relay (SMTP, or its REST endpoint on loopback), and nothing is sent."""

from __future__ import annotations

import pytest

from composer.app.profile_test import test_profile as check_profile
from composer.transport.profiles.store import Profile


@pytest.mark.parametrize(
    ("api", "login_step"), [("smtp", "AUTH LOGIN"), ("rest", "API key")], ids=["smtp", "rest"]
)
def test_each_profile_is_tested_over_its_own_protocol(context, api: str, login_step: str) -> None:
    profile = Profile.new("local", "local", api=api)  # the preset port: the relay starts here
    steps = check_profile(context, profile, timeout=10)
    names = [s.name for s in steps]
    assert names[0] == "connect" and login_step in names, names
    assert all(s.ok is not False for s in steps), steps
    # SMTP's login is never tried for a REST profile, nor the API's for an SMTP one
    assert ("AUTH LOGIN" in names) == (api == "smtp") and ("API URL" in names) == (api == "rest")
    sandbox = context.sandbox / "new"
    assert not sandbox.exists() or not any(sandbox.iterdir())  # nothing was sent

