"""Provider presets and the relay's login forms (seeds/000 SparkPost, seeds/004 Bird)."""

from __future__ import annotations

import pytest

from composer.core.errors import ProfileError
from composer.core.hosts import is_loopback
from composer.transport.profiles.credentials import Secret
from composer.transport.profiles.providers import (
    PRESETS,
    Provider,
    check_host,
    parse_provider,
    preset,
    smtp_password,
    smtp_username,
)


@pytest.mark.parametrize(
    ("provider", "host"),
    [
        ("sparkpost", "smtp.sparkpostmail.com"),
        ("sparkpost-eu", "smtp.eu.sparkpostmail.com"),
        ("bird", "smtp.email.us-west-2.api.bird.com"),
        ("bird-eu", "smtp.email.eu-west-1.api.bird.com"),
    ],
)
def test_relay_presets_match_the_documentation(provider: str, host: str) -> None:
    p = preset(provider)
    assert p.host == host
    assert (p.port, p.fallback_port) == (587, 2525)
    assert p.needs_key and p.tls


def test_every_provider_has_a_preset() -> None:
    assert set(PRESETS) == set(Provider)
    assert [v.value for v in Provider] == [
        "sparkpost", "sparkpost-eu", "bird", "bird-eu", "custom", "local",
    ]  # fmt: skip


def test_custom_needs_a_host_and_warns_that_enterprise_tracks_by_default() -> None:
    p = preset(Provider.CUSTOM)
    assert p.host is None
    assert (p.port, p.fallback_port) == (587, 2525)
    assert p.needs_key
    assert "Enterprise" in p.note
    assert "tracking are ON by default" in p.note


def test_local_relay_needs_no_key_and_stays_on_loopback() -> None:
    p = preset("local")
    assert not p.needs_key
    assert p.fallback_port is None
    assert p.host is not None and is_loopback(p.host)


@pytest.mark.parametrize(
    ("provider", "subaccount", "workspace", "expected"),
    [
        ("sparkpost", None, None, "SMTP_Injection"),
        ("sparkpost", "123", None, "SMTP_Injection:X-MSYS-SUBACCOUNT=123"),
        ("sparkpost-eu", "7", None, "SMTP_Injection:X-MSYS-SUBACCOUNT=7"),
        ("custom", "42", None, "SMTP_Injection:X-MSYS-SUBACCOUNT=42"),
        ("custom", None, None, "SMTP_Injection"),
        ("bird", None, "ws-1", "SMTP_Injection:x-bird-workspace-id=ws-1"),
        (
            "bird-eu",
            None,
            "2f6a0c3e-8d1b-4f5a-9c7e-1a2b3c4d5e6f",
            "SMTP_Injection:x-bird-workspace-id=2f6a0c3e-8d1b-4f5a-9c7e-1a2b3c4d5e6f",
        ),
        ("local", None, None, "SMTP_Injection"),
    ],
)
def test_smtp_username(
    provider: str, subaccount: str | None, workspace: str | None, expected: str
) -> None:
    assert smtp_username(provider, subaccount, workspace) == expected


@pytest.mark.parametrize(
    ("provider", "subaccount", "workspace", "field", "words"),
    [
        ("bird", None, None, "workspace", "needs the workspace id"),
        ("bird-eu", None, None, "workspace", "needs the workspace id"),
        ("bird", "123", "ws", "subaccount", "has no subaccounts"),
        ("local", "123", None, "subaccount", "has no subaccounts"),
        ("sparkpost", None, "ws", "workspace", "only Bird"),
        ("custom", None, "ws", "workspace", "only Bird"),
        ("sparkpost", "12a", None, "subaccount", "numeric id"),
        ("sparkpost", "", None, "subaccount", "numeric id"),
        ("sparkpost", " 12", None, "subaccount", "numeric id"),
        ("sparkpost", "-1", None, "subaccount", "numeric id"),
        ("sparkpost", "١٢٣", None, "subaccount", "numeric id"),  # Arabic-Indic digits
        ("sparkpost", "²", None, "subaccount", "numeric id"),
        ("bird", None, "", "workspace", "not empty"),
        ("bird", None, "ws 1", "workspace", "no spaces"),
        ("bird", None, "ws\t1", "workspace", "no spaces"),
        ("bird", None, "ws\r\nAUTH", "workspace", "line breaks"),
        ("bird", None, "ws\x7f", "workspace", "no spaces"),
        ("bird", None, "wörkspace", "workspace", "non-ASCII"),
    ],
)
def test_login_forms_the_relay_would_refuse(
    provider: str, subaccount: str | None, workspace: str | None, field: str, words: str
) -> None:
    with pytest.raises(ProfileError) as info:
        smtp_username(provider, subaccount, workspace)
    assert info.value.field == field
    assert words in str(info.value)
    assert info.value.exit_code == 2


def test_unknown_provider_lists_the_choices() -> None:
    with pytest.raises(ProfileError, match="sparkpost, sparkpost-eu, bird, bird-eu, custom, local"):
        parse_provider("mailgun")
    assert parse_provider("bird-eu") is Provider.BIRD_EU


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("sparkpost", "k3y"),
        ("sparkpost-eu", "k3y"),
        ("custom", "k3y"),
        ("bird", "AccessKey k3y"),
        ("bird-eu", "AccessKey k3y"),
    ],
)
def test_smtp_password(provider: str, expected: str) -> None:
    assert smtp_password(provider, "k3y") == expected
    assert smtp_password(provider, Secret("k3y")) == expected


@pytest.mark.parametrize("bad", ["", "zq9 x7", "zq9x7\n", "zq9é", "\tzq9x7"])
def test_smtp_password_refuses_what_auth_login_cannot_carry_without_echoing_it(bad: str) -> None:
    with pytest.raises(ProfileError) as info:
        smtp_password("sparkpost", Secret(bad))
    if bad.strip():
        assert bad.strip() not in str(info.value)


@pytest.mark.parametrize(
    "host", ["smtp.example.com", "relay-1.corp.example", "127.0.0.1", "::1", "localhost", "a."]
)
def test_hosts_accepted(host: str) -> None:
    check_host(host)


@pytest.mark.parametrize(
    "host",
    [
        "",
        "smtp://relay.example.com",
        "relay.example.com:587",
        "two words",
        "bücher.example",
        "a..b",
    ],
)
def test_hosts_refused(host: str) -> None:
    with pytest.raises(ProfileError) as info:
        check_host(host)
    assert info.value.field == "host"
