"""From a profile to a live endpoint: the API key at the last moment, the local relay started.

The ``local`` profile starts the built-in relay in-process on a free loopback port, delivering
into the context's sandbox Maildir; every other profile reads its key from the OS keyring (or
``COMPOSER_API_KEY``) here, just before connecting, so that it lives as briefly as possible.

``open_session`` is the one entry for a send: by the profile's ``api`` it yields an SMTP or a
REST session (the local profile over REST starts the relay's HTTP endpoint instead), which
``send_batch`` drives the same way.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from composer.app.context import Context
from composer.transport.base import SendSession
from composer.transport.profiles.credentials import Secret
from composer.transport.profiles.providers import SMTP_USER, Provider, smtp_password
from composer.transport.profiles.store import Profile
from composer.transport.rest.session import RestEndpoint, RestSession
from composer.transport.smtp.session import Endpoint, SmtpSession

__all__ = [
    "choose_profile",
    "open_endpoint",
    "open_rest_endpoint",
    "open_session",
    "open_sessions",
]

_LOCAL_KEY = "local-sandbox"  # the local relay takes any password / Authorization value


def choose_profile(
    context: Context,
    name: str | None = None,
    *,
    provider: str | None = None,
    host: str | None = None,
    port: int | None = None,
    fallback_port: int | None = None,
    subaccount: str | None = None,
    workspace: str | None = None,
    no_tls: bool = False,
    api: str | None = None,
    api_url: str | None = None,
) -> Profile:
    """The profile a send uses: a saved one (by name, else the default), with overrides; or an
    unsaved one made from ``provider`` / ``host`` when no name is given.

    A ``port`` given here is a port the person named: only it is tried, unless they name a
    ``fallback_port`` too."""
    store = context.profiles()
    if (port is not None or no_tls) and fallback_port is None:
        fallback_port = 0  # never a port nobody named, never without TLS
    overrides: dict[str, Any] = {
        k: v
        for k, v in dict(
            host=host,
            port=port,
            fallback_port=fallback_port,
            subaccount=subaccount,
            workspace=workspace,
            api=api,
            api_url=api_url,
        ).items()
        if v is not None
    }
    if no_tls:
        overrides["tls"] = False
    if name is None and (provider is not None or host is not None):
        kind = provider or Provider.CUSTOM.value
        return Profile.new(kind, kind, **overrides)
    base = store.get(name) if name is not None else store.default()
    if base is None:
        raise_no_profile()
    if provider is not None and provider != base.provider.value:
        return Profile.new(base.name, provider, **overrides)
    return dataclasses.replace(base, **overrides) if overrides else base


def raise_no_profile() -> NoReturn:
    from composer.core.errors import ProfileError

    raise ProfileError("profile", "no default profile: add one with `composer profile add`")


@contextmanager
def open_endpoint(
    context: Context,
    profile: Profile,
    *,
    ca_file: str | None = None,
    timeout: float = 60.0,
    final_timeout: float = 600.0,
) -> Iterator[Endpoint]:
    if profile.provider is Provider.LOCAL and _is_builtin(profile):
        from composer.relay.server import LocalRelay

        # aiosmtpd logs a deprecation warning of its own on every AUTH: not the person's concern
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        with LocalRelay(context.sandbox) as relay:
            yield Endpoint(
                host=relay.host,
                port=relay.port,
                tls=False,
                username=SMTP_USER,
                password=_LOCAL_KEY,
                timeout=timeout,
                final_timeout=final_timeout,
            )
        return
    ports = profile.ports
    if profile.needs_key:
        password: str | None = smtp_password(
            profile.provider, context.credentials.get_api_key(profile.name)
        )
    else:
        password = _LOCAL_KEY
    yield Endpoint(
        host=profile.host,
        port=ports[0],
        fallback_port=ports[1] if len(ports) > 1 else None,
        tls=profile.tls,
        ca_file=ca_file,
        username=profile.username,
        password=password,
        timeout=timeout,
        final_timeout=final_timeout,
    )


def _is_builtin(profile: Profile) -> bool:
    """The ``local`` provider at its preset address means "start the relay for me"; pointed at
    another port it means "a local relay that is already running" (``composer relay``)."""
    from composer.transport.profiles.providers import PRESETS

    return profile.port == PRESETS[Provider.LOCAL].port


@contextmanager
def open_rest_endpoint(
    context: Context,
    profile: Profile,
    *,
    ca_file: str | None = None,
    timeout: float = 60.0,
    final_timeout: float = 600.0,
) -> Iterator[RestEndpoint]:
    url = profile.rest_url
    if url is None:  # the local profile: the relay's HTTP endpoint, in-process
        from composer.relay.http import LocalHttpRelay

        with LocalHttpRelay(context.sandbox) as relay:
            yield RestEndpoint(relay.url, Secret(_LOCAL_KEY), None, timeout, final_timeout)
        return
    key = context.credentials.get_api_key(profile.name) if profile.needs_key else Secret(_LOCAL_KEY)
    yield RestEndpoint(url, key, ca_file, timeout, final_timeout)


@contextmanager
def open_sessions(
    context: Context,
    profile: Profile,
    *,
    ca_file: str | None = None,
    timeout: float = 60.0,
    final_timeout: float = 600.0,
    substitution_data: dict[str, Any] | None = None,
    announce: Callable[[str], None] | None = None,
) -> Iterator[tuple[str, Callable[[], SendSession]]]:
    """(where it goes, as "host:port" for the history; a maker of sessions), for a batch over
    several connections: each call makes one more session to the same endpoint (the caller
    closes them). The key is read once, the local relay started once.

    ``announce`` is told, in one line, which host:port SMTP connections went to (once per
    address, however many connections)."""
    if profile.api == "rest":
        with open_rest_endpoint(
            context, profile, ca_file=ca_file, timeout=timeout, final_timeout=final_timeout
        ) as rest:
            yield (
                f"{rest.host}:{rest.port}",
                lambda: RestSession(rest, substitution_data=substitution_data),
            )
        return
    if substitution_data is not None:
        raise ValueError("substitution data goes over REST only")  # callers check first
    told = _once(announce) if announce is not None else None
    with open_endpoint(
        context, profile, ca_file=ca_file, timeout=timeout, final_timeout=final_timeout
    ) as endpoint:
        yield f"{endpoint.host}:{endpoint.port}", lambda: SmtpSession(endpoint, announce=told)


def _once(announce: Callable[[str], None]) -> Callable[[str], None]:
    seen: set[str] = set()
    lock = threading.Lock()

    def tell(line: str) -> None:
        with lock:
            if line in seen:
                return
            seen.add(line)
        announce(line)

    return tell


@contextmanager
def open_session(
    context: Context,
    profile: Profile,
    **kwargs: Any,
) -> Iterator[tuple[str, SendSession]]:
    """(where it goes, as "host:port" for the history; one session), closed on exit. Takes
    open_sessions' arguments."""
    with open_sessions(context, profile, **kwargs) as (where, make):
        session = make()
        try:
            yield where, session
        finally:
            session.close()
