"""A profile's events key (credentials.get_events_key / set_events_key, issue 18): a second key
with the "Events Search: Read Only" permission, kept in the keyring beside the sending key and
never in a file; without one, the sending key is used; COMPOSER_EVENTS_KEY wins for automation."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.keyrings import MemoryKeyring

from composer.core.errors import CredentialsError
from composer.transport.profiles import credentials

SEND_KEY = "send0key0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
EVENTS_KEY = "events0key0bbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def test_the_events_key_is_kept_apart_and_falls_back_to_the_api_key(
    memory_keyring: MemoryKeyring, composer_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(CredentialsError, match="No API key for profile 'prod'"):
        credentials.get_events_key("prod")
    credentials.set_api_key("prod", SEND_KEY)
    assert credentials.get_events_key("prod").reveal() == SEND_KEY  # no events key: the API key
    credentials.set_events_key("prod", EVENTS_KEY)
    assert credentials.get_events_key("prod").reveal() == EVENTS_KEY
    assert credentials.get_api_key("prod").reveal() == SEND_KEY  # sending is unchanged
    monkeypatch.setenv("COMPOSER_EVENTS_KEY", "from0the0environment")
    assert credentials.get_events_key("prod").reveal() == "from0the0environment"
    for f in composer_home.rglob("*"):  # never in a file
        assert not f.is_file() or EVENTS_KEY.encode() not in f.read_bytes()


def test_profile_set_key_events_without_a_keyring_says_so(run_composer) -> None:
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    assert run_composer("profile", "add", "prod", "--provider", "sparkpost", env=no_keyring,
                        stdin=b"").code == 0  # fmt: skip
    r = run_composer("profile", "set-key", "prod", "--events", "--key-stdin",
                     stdin=f"{EVENTS_KEY}\n".encode(), env=no_keyring)  # fmt: skip
    assert r.code == 2 and "No unlocked system keyring" in r.err
    assert EVENTS_KEY not in r.out + r.err
