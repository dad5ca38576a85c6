"""API keys: keyring or COMPOSER_API_KEY only, loud when there is no keyring, never printed."""

from __future__ import annotations

import copy
import logging
import pickle
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.backends.null
import keyring.errors
import pytest
from support.keyrings import MemoryKeyring

from composer.core.errors import CredentialsError, KeyringUnavailable
from composer.transport.profiles import credentials
from composer.transport.profiles.credentials import (
    Secret,
    delete_api_key,
    get_api_key,
    key_status,
    set_api_key,
)

KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"


class BrokenKeyring(MemoryKeyring):
    """Fails the way real backends do: locked collections, prompts dismissed, D-Bus errors."""

    def __init__(self, error: Exception, on: str = "get") -> None:
        super().__init__()
        self.error, self.on = error, on

    def get_password(self, service: str, username: str) -> str | None:
        if self.on == "get":
            raise self.error
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.on == "set":
            raise self.error
        super().set_password(service, username, password)


class ForgetfulKeyring(MemoryKeyring):
    """Accepts every write and keeps nothing (like the null backend, under another name)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        pass


def assert_no_key_anywhere(root: Path, key: str = KEY) -> None:
    for f in root.rglob("*"):
        if f.is_file():
            assert key.encode() not in f.read_bytes(), f"the key was written to {f}"


# --- the keyring ---------------------------------------------------------------------------


def test_set_get_delete(memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    set_api_key("prod", KEY)
    assert memory_keyring.entries == {("composer-mail", "prod"): KEY}
    secret = get_api_key("prod")
    assert isinstance(secret, Secret)
    assert secret.reveal() == KEY
    assert key_status("prod") == "in keyring"
    assert delete_api_key("prod") is True
    assert memory_keyring.entries == {}
    assert delete_api_key("prod") is False
    assert key_status("prod") == "missing"
    assert_no_key_anywhere(tmp_path)


def test_keys_are_kept_per_profile(memory_keyring: MemoryKeyring) -> None:
    set_api_key("a", "key-a")
    set_api_key("b", Secret("key-b"))
    assert get_api_key("a").reveal() == "key-a"
    assert get_api_key("b").reveal() == "key-b"


def test_surrounding_whitespace_is_dropped(memory_keyring: MemoryKeyring) -> None:
    set_api_key("prod", f"  {KEY}\r\n")
    assert memory_keyring.entries[("composer-mail", "prod")] == KEY


@pytest.mark.parametrize("bad", ["", "   ", "two words", "clé-unicode", "AccessKey abc"])
def test_unusable_keys_are_refused_without_being_echoed(
    memory_keyring: MemoryKeyring, bad: str
) -> None:
    with pytest.raises(CredentialsError) as info:
        set_api_key("prod", bad)
    if bad.strip():
        assert bad not in str(info.value)
    assert memory_keyring.entries == {}


def test_a_missing_key_says_what_to_do(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialsError) as info:
        get_api_key("prod")
    assert str(info.value) == (
        "No API key for profile 'prod': run `composer profile set-key prod` to store one in the "
        "system keyring, or set COMPOSER_API_KEY"
    )
    assert info.value.exit_code == 2


# --- COMPOSER_API_KEY ----------------------------------------------------------------------


def test_the_environment_wins(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_api_key("prod", KEY)
    monkeypatch.setenv("COMPOSER_API_KEY", "env-key\n")
    assert get_api_key("prod").reveal() == "env-key"
    assert get_api_key("any-profile").reveal() == "env-key"
    assert key_status("prod") == "from COMPOSER_API_KEY"


def test_the_environment_works_without_any_keyring(
    use_keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("COMPOSER_API_KEY", KEY)
    assert get_api_key("ci").reveal() == KEY
    assert key_status("ci") == "from COMPOSER_API_KEY"


def test_an_empty_variable_counts_as_unset(
    memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPOSER_API_KEY", "")
    set_api_key("prod", KEY)
    assert get_api_key("prod").reveal() == KEY
    assert key_status("prod") == "in keyring"


def test_a_bad_variable_is_named_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPOSER_API_KEY", "abc def")
    with pytest.raises(CredentialsError, match=r"^COMPOSER_API_KEY: ") as info:
        get_api_key("prod")
    assert "abc def" not in str(info.value)


# --- no usable keyring: loud, never a file --------------------------------------------------


@pytest.mark.parametrize(
    "backend",
    [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring(), ForgetfulKeyring()],
    ids=["fail", "null", "forgetful"],
)
def test_no_usable_keyring_is_an_error_never_a_silent_success(
    use_keyring, backend: keyring.backend.KeyringBackend, tmp_path: Path
) -> None:
    use_keyring(backend)
    with pytest.raises(KeyringUnavailable) as info:
        set_api_key("prod", KEY)
    message = str(info.value)
    assert message.startswith("No unlocked system keyring is available (")
    assert "COMPOSER_API_KEY" in message
    assert KEY not in message
    assert info.value.exit_code == 2
    assert_no_key_anywhere(tmp_path)  # no file fallback


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (keyring.backends.fail.Keyring(), "no keyring backend found"),
        (keyring.backends.null.Keyring(), "the null keyring backend is selected"),
    ],
)
def test_dead_backends_are_reported(use_keyring, backend, reason: str) -> None:
    use_keyring(backend)
    assert key_status("prod").startswith(f"keyring unavailable: {reason}")
    with pytest.raises(KeyringUnavailable, match=reason):
        get_api_key("prod")
    with pytest.raises(KeyringUnavailable):
        delete_api_key("prod")


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (keyring.errors.KeyringLocked("Failed to unlock the collection!"), "locked"),
        (keyring.errors.InitError("Failed to create the collection: Prompt dismissed.."), "Init"),
        (keyring.errors.NoKeyringError("No recommended backend"), "NoKeyringError"),
        (keyring.errors.KeyringError("boom"), "KeyringError: boom"),
        (RuntimeError("Unable to initialize SecretService"), "SecretService"),
        (OSError("connection reset"), "connection reset"),
    ],
)
def test_backend_failures_become_credentials_errors(use_keyring, error, reason: str) -> None:
    use_keyring(BrokenKeyring(error))
    with pytest.raises(KeyringUnavailable, match=reason) as info:
        get_api_key("prod")
    assert "COMPOSER_API_KEY" in str(info.value)
    assert isinstance(info.value, CredentialsError)
    assert key_status("prod").startswith("keyring unavailable: ")


def test_a_backend_that_echoes_the_key_is_scrubbed(use_keyring) -> None:
    use_keyring(BrokenKeyring(keyring.errors.PasswordSetError(f"cannot store {KEY}"), on="set"))
    with pytest.raises(KeyringUnavailable) as info:
        set_api_key("prod", KEY)
    assert KEY not in str(info.value)
    assert "cannot store ********" in str(info.value)


# --- Secret --------------------------------------------------------------------------------


def test_a_secret_never_shows_itself(caplog: pytest.LogCaptureFixture) -> None:
    s = Secret(KEY)
    for text in (repr(s), str(s), f"{s}", f"{s!r}", "%s" % s, str([s]), str({"k": s})):  # noqa: UP031
        assert KEY not in text
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("composer").warning("key is %s / %r", s, s)
    assert KEY not in caplog.text
    assert "********" in caplog.text


def test_a_secret_cannot_be_pickled_or_copied_out() -> None:
    s = Secret(KEY)
    with pytest.raises(TypeError):
        pickle.dumps(s)
    with pytest.raises(TypeError):
        copy.deepcopy(s)


def test_secret_equality() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"  # never equal to the bare string: no accidental comparisons
    with pytest.raises(TypeError):
        hash(Secret("a"))


def test_names() -> None:
    assert credentials.SERVICE == "composer-mail"
    assert credentials.ENV_VAR == "COMPOSER_API_KEY"
