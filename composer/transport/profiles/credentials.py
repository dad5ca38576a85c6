"""API keys: only in the OS keyring, or in ``COMPOSER_API_KEY`` for automation. Never in a file.

Without a keyring the window can also keep a key **in this process's memory only**
(``keep_for_session``): until the app quits, never on disk, never in another process (a
``Secret`` refuses pickling). The CLI never does: each command is its own process.

Keyring entries use service ``composer-mail`` and the profile name as the user name.
``COMPOSER_API_KEY``, when set and not empty, wins over the keyring for every profile (CI has
no keyring, and a variable set for one run should not be shadowed by a stale stored key).

A profile may also hold an *events key* (issue 18): a second key with the "Events Search: Read
Only" permission, for ``composer events`` and the history's delivery states, when the sending key
lacks it (a key made for SMTP injection alone usually does). It is stored the same way, under the
user name ``<profile>:events`` (profile names cannot hold a colon), or comes from
``COMPOSER_EVENTS_KEY``; without one the events are asked for with the profile's API key.

A missing or locked keyring is loud: every keyring failure becomes a ``CredentialsError`` that
says so and offers ``COMPOSER_API_KEY``. The null and fail backends count as "no keyring": the
null one accepts a key and then returns None, which would lose it silently
(research/reliability.md §4). There is deliberately no file fallback.

Keys travel as ``Secret`` so that a repr, a log line or an f-string shows ``********``.
"""

from __future__ import annotations

import hmac
import os
import re
import threading
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from composer.core.errors import CredentialsError, KeyringUnavailable

__all__ = [
    "ENV_VAR",
    "EVENTS_ENV_VAR",
    "SERVICE",
    "SESSION_STATUS",
    "Secret",
    "delete_api_key",
    "forget_session_key",
    "get_api_key",
    "get_events_key",
    "keep_for_session",
    "key_status",
    "keyring_problem",
    "set_api_key",
    "set_events_key",
]

SERVICE = "composer-mail"
ENV_VAR = KeyringUnavailable.ENV_VAR
EVENTS_ENV_VAR = "COMPOSER_EVENTS_KEY"
_EVENTS_SUFFIX = ":events"
_KEY_RE = re.compile(r"[!-~]+")  # what smtplib can send in AUTH LOGIN: printable ASCII
_T = TypeVar("_T")
SESSION_STATUS = "kept in memory until Composer quits"
# Profile name -> the key typed this run, for people without a keyring. Memory only.
_session: dict[str, Secret] = {}
_session_lock = threading.Lock()


class Secret:
    """A string that does not print itself. ``reveal()`` is for the SMTP login and the REST
    ``Authorization`` header only."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    def __str__(self) -> str:
        return "********"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]  # equal secrets need not be dict keys

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")  # nor copied to another process or file


def _check_key(key: str, source: str) -> Secret:
    key = key.strip()
    if not key:
        raise CredentialsError(f"{source}: the API key is empty")
    if not _KEY_RE.fullmatch(key):
        raise CredentialsError(
            f"{source}: the API key must be one line of printable ASCII without spaces "
            "(paste only the key itself, without 'AccessKey ')"
        )
    return Secret(key)



def _is_dead(backend: object) -> bool:
    if isinstance(backend, (keyring.backends.fail.Keyring, keyring.backends.null.Keyring)):
        return True
    # The chainer wraps the viable backends; it is dead when all of them are.
    children = getattr(backend, "backends", None)
    return isinstance(children, list) and all(_is_dead(b) for b in children)


def keyring_problem() -> str | None:
    """Why the keyring cannot be used, or None when a real backend is selected."""
    backend = keyring.get_keyring()
    if not _is_dead(backend):
        return None
    if isinstance(backend, keyring.backends.null.Keyring):
        return "the null keyring backend is selected, which stores nothing"
    if os.name == "posix" and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no keyring backend found; there is no D-Bus session for the Secret Service"
    return "no keyring backend found"


def _call(action: Callable[[], _T], secret: str | None = None) -> _T:
    """Run one keyring call; any failure of the backend becomes a CredentialsError."""
    problem = keyring_problem()
    if problem:
        raise KeyringUnavailable(problem)
    try:
        return action()
    except keyring.errors.KeyringLocked as exc:
        raise KeyringUnavailable("the keyring is locked and could not be unlocked") from exc
    except Exception as exc:  # D-Bus, Secret Service, OS errors: the backend's own types
        reason = f"{type(exc).__name__}: {exc}".strip()
        if secret:
            reason = reason.replace(secret, "********")  # a backend might echo what it got
        raise KeyringUnavailable(reason) from exc


def _env_key() -> Secret | None:
    value = os.environ.get(ENV_VAR, "")
    if not value.strip():
        return None  # set but empty counts as not set, as shells make that easy to do
    return _check_key(value, ENV_VAR)


def keep_for_session(profile_name: str, key: str | Secret) -> None:
    """Hold ``key`` for ``profile_name`` in memory until the process ends (no keyring here)."""
    secret = _check_key(key if isinstance(key, str) else key.reveal(), "API key")
    with _session_lock:
        _session[profile_name] = secret


def forget_session_key(profile_name: str) -> bool:
    """Drop the in-memory key; False when there was none."""
    with _session_lock:
        return _session.pop(profile_name, None) is not None


def _session_key(profile_name: str) -> Secret | None:
    with _session_lock:
        return _session.get(profile_name)


def get_api_key(profile_name: str) -> Secret:
    env = _env_key()
    if env is not None:
        return env
    kept = _session_key(profile_name)
    if kept is not None:  # typed this run, by someone without a keyring
        return kept
    value = _call(lambda: keyring.get_password(SERVICE, profile_name))
    if value is None:
        raise CredentialsError(
            f"No API key for profile '{profile_name}': run `composer profile set-key "
            f"{profile_name}` to store one in the system keyring, or set {ENV_VAR}"
        )
    return _check_key(value, f"the keyring entry for profile '{profile_name}'")


def set_api_key(profile_name: str, key: str | Secret) -> None:
    secret = _check_key(key if isinstance(key, str) else key.reveal(), "API key")
    raw = secret.reveal()
    _call(lambda: keyring.set_password(SERVICE, profile_name, raw), secret=raw)
    # Read it back: some backends accept a write and keep nothing.
    if _call(lambda: keyring.get_password(SERVICE, profile_name), secret=raw) != raw:
        raise KeyringUnavailable("the keyring accepted the key but did not keep it")


def delete_api_key(profile_name: str) -> bool:
    """Remove the stored key (and one kept in memory); False when there was none."""
    if forget_session_key(profile_name) and keyring_problem():
        return True  # no keyring: the memory was the only place it was
    if _call(lambda: keyring.get_password(SERVICE, profile_name)) is None:
        return False
    _call(lambda: keyring.delete_password(SERVICE, profile_name))
    return True


def key_status(profile_name: str) -> str:
    """One of "from COMPOSER_API_KEY", SESSION_STATUS, "in keyring", "missing",
    "keyring unavailable: …"."""
    if os.environ.get(ENV_VAR, "").strip():
        return f"from {ENV_VAR}"
    if _session_key(profile_name) is not None:
        return SESSION_STATUS
    try:
        value = _call(lambda: keyring.get_password(SERVICE, profile_name))
    except KeyringUnavailable as exc:
        return f"keyring unavailable: {exc.reason}"
    return "missing" if value is None else "in keyring"


def get_events_key(profile_name: str) -> Secret:
    """The key to ask the Events API with: ``COMPOSER_EVENTS_KEY``, the profile's events key
    in the keyring, else its API key (``get_api_key``, with its errors)."""
    value = os.environ.get(EVENTS_ENV_VAR, "")
    if value.strip():
        return _check_key(value, EVENTS_ENV_VAR)
    if not _env_key():
        stored = _call(lambda: keyring.get_password(SERVICE, profile_name + _EVENTS_SUFFIX))
        if stored is not None:
            return _check_key(stored, f"the keyring entry for the events key of '{profile_name}'")
    return get_api_key(profile_name)


def set_events_key(profile_name: str, key: str | Secret) -> None:
    """Store the profile's events key (same rules as ``set_api_key``: keyring only, read back)."""
    set_api_key(profile_name + _EVENTS_SUFFIX, key)
