"""The pre-send checks for a real send: the profile's facts, the sandbox count from the history,
the target clients, and the online link check when (and only when) it is asked for.

``composer check``, ``composer send`` and the window's Checks tab all come through here, with
the render and build they already made (core/checks/prepare.py), so nothing renders twice.
The window calls ``preview_findings`` on its preview worker for every result; what it reads
from disk there (the profile, the history's count) is cached until those files change.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composer.app.context import Context
from composer.core.build import OutgoingMessage
from composer.core.checks import (
    DEFAULT_CLIENTS,
    Finding,
    ProfileFacts,
    Severity,
    Where,
    check_input,
    run_checks,
    sort_findings,
)
from composer.core.checks.links import LinkRef, checkable_urls
from composer.core.checks.model import CheckInput
from composer.core.draft import Draft, Recipient
from composer.core.errors import ComposerError, UsageError
from composer.core.relay_facts import ALL_SANDBOX_DOMAINS, SANDBOX_DOMAINS
from composer.core.render import Rendered

if TYPE_CHECKING:
    from composer.transport.linkcheck import LinkLimits, LinkStatus
    from composer.transport.profiles.store import Profile

log = logging.getLogger(__name__)

__all__ = [
    "online_findings",
    "parse_clients",
    "preview_findings",
    "profile_clients",
    "profile_facts",
    "run_for_send",
    "sandbox_used",
    "uses_sandbox",
]


def profile_facts(profile: Profile) -> ProfileFacts:
    if profile.api == "rest":
        return ProfileFacts(provider=profile.provider.value, transport="rest", name=profile.name)
    return ProfileFacts(provider=profile.provider.value, transport="smtp", name=profile.name)


def parse_clients(text: str, flag: str = "--clients") -> tuple[str, ...]:
    """A comma-separated list of caniemail client ids (``gmail.ios,outlook.windows``), each
    known; UsageError (exit 2) naming the flag and the unknown ids otherwise."""
    from composer.core.checks.caniemail import clients_problem, split_client_ids

    ids = split_client_ids(text)
    problem = clients_problem(ids)
    if problem:
        raise UsageError(f"{flag}: {problem}")
    return ids


def profile_clients(profile: Profile | None) -> tuple[str, ...]:
    """The clients a profile's checks target: its own list, else the default set."""
    return profile.clients if profile is not None and profile.clients else DEFAULT_CLIENTS


# --- what is read from disk, cached until the file changes ---------------------------------------

_lock = threading.Lock()
_cache: dict[tuple[Any, ...], Any] = {}


def _stamp(*paths: Path) -> tuple[Any, ...]:
    out: list[Any] = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            out.append(None)
    return tuple(out)


def _cached(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    with _lock:
        if key in _cache:
            return _cache[key]
    value = make()
    with _lock:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = value
    return value


def uses_sandbox(draft: Draft) -> bool:
    """The sandbox option is on, or the From is on a sandbox domain."""
    domain = draft.from_addr.email.rpartition("@")[2].strip().lower().rstrip(".")
    return bool(draft.options.sandbox) or domain in ALL_SANDBOX_DOMAINS


def sandbox_used(context: Context, profile: ProfileFacts) -> int | None:
    """Sandbox messages already sent with this profile (from the history), None when the
    history cannot be read. Counted by the sandbox From domain, as the relay's allowance is."""
    domain = SANDBOX_DOMAINS.get(profile.provider)
    domains = (domain,) if domain else ALL_SANDBOX_DOMAINS
    db = context.paths.history_db
    if not db.exists():
        return 0

    def count() -> int | None:
        try:
            with context.history() as history:
                return history.sandbox_sends(profile.name or "", domains)
        except (OSError, ComposerError, sqlite3.Error) as exc:  # advice, never a failure
            log.warning("the sandbox count could not be read: %s", exc)
            return None

    wal = db.with_name(db.name + "-wal")
    return _cached(("sandbox", str(db), profile.name, domains, _stamp(db, wal)), count)  # type: ignore[no-any-return]


def _facts_by_name(context: Context, name: str | None) -> tuple[ProfileFacts, tuple[str, ...]]:
    """The facts and target clients of a saved profile (the default when ``name`` is None); a
    profile that cannot be read is taken as the local relay's, which claims nothing about a
    real account, with the default clients."""

    def load() -> tuple[ProfileFacts, tuple[str, ...]]:
        try:
            store = context.profiles()
            profile = store.get(name) if name else store.default()
        except (ComposerError, OSError, LookupError, ValueError):
            profile = None
        if profile is None:
            return ProfileFacts("local", "smtp", name or "local"), DEFAULT_CLIENTS
        return profile_facts(profile), profile_clients(profile)

    file = context.paths.profiles_file
    return _cached(("profile", str(file), name, _stamp(file)), load)  # type: ignore[no-any-return]


# --- running them ---------------------------------------------------------------------------------


def run_for_send(
    context: Context,
    draft: Draft,
    profile: Profile,
    *,
    rendered: Rendered | None = None,
    messages: Sequence[OutgoingMessage] | None = None,
    seeds: list[Recipient] | None = None,
    clients: Sequence[str] | None = None,
    substitution_data: dict[str, Any] | None = None,
    online: bool = False,
    limits: LinkLimits | None = None,
) -> list[Finding]:
    """Every check of ``draft`` for a send with ``profile`` (the CLI's check and send).
    ``clients``: what ``--clients`` named; None: the profile's own (profile_clients)."""
    facts = profile_facts(profile)
    inp = check_input(
        draft,
        facts,
        clients=tuple(clients) if clients is not None else profile_clients(profile),
        rendered=rendered,
        messages=messages,
        seeds=seeds,
        sandbox_sends_used=sandbox_used(context, facts) if uses_sandbox(draft) else None,
        online=online,
    )
    if substitution_data is not None:
        from dataclasses import replace

        inp = replace(inp, substitution_data=substitution_data)
    found = run_checks(inp)
    if online:
        found = sort_findings(found + online_findings(inp, limits))
    return found


def preview_findings(
    context: Context,
    profile_name: str | None,
    draft: Draft,
    rendered: Rendered,
    messages: Sequence[OutgoingMessage],
    clients: Sequence[str] | None = None,
) -> list[Finding]:
    """The window's checks, on its preview worker, with the render the preview made. Never
    online: the window runs ``online_findings`` itself, when its toggle is on. ``clients``:
    None for the chosen profile's own target clients."""
    facts, own = _facts_by_name(context, profile_name)
    inp = check_input(
        draft,
        facts,
        clients=tuple(clients) if clients is not None else own,
        rendered=rendered,
        messages=messages,
        # the history is read only when the sandbox is involved, not on every keystroke
        sandbox_sends_used=sandbox_used(context, facts) if uses_sandbox(draft) else None,
    )
    return run_checks(inp)


# --- online: does each link answer? ---------------------------------------------------------------


def online_findings(
    inp: CheckInput,
    limits: LinkLimits | None = None,
    *,
    refs: Sequence[LinkRef] | None = None,
    cancel: threading.Event | None = None,
) -> list[Finding]:
    """Ask the server of each link and image (HEAD, then GET) whether it answers: a finding
    for each that does not answer well. ``refs``: which links (default: links.checkable_urls,
    which leaves out templated URLs and anything on this computer or a private network)."""
    from composer.transport.linkcheck import LinkLimits, check_links

    if refs is None:
        refs = checkable_urls(inp)
    if not refs:
        return []
    statuses = check_links([r.url.strip() for r in refs], limits or LinkLimits(), cancel=cancel)
    out = []
    for ref in refs:
        f = _online_finding(statuses[ref.url.strip()], ref.where)
        if f is not None:
            out.append(f)
    return out


def _online_finding(s: LinkStatus, where: Where) -> Finding | None:
    def make(fid: str, severity: Severity, message: str) -> Finding:
        return Finding(fid, severity, "links", message, where)

    if not s.checked:
        return make(
            "links.online-not-checked", Severity.INFO, f"{s.url} was not checked: {s.error}"
        )
    if s.error is not None:
        return make("links.online-unreachable", Severity.WARNING, f"{s.url}: {s.error}.")
    status = s.status or 0
    if status in (404, 410):
        return make(
            "links.online-broken", Severity.ERROR, f"{s.url} answers {status}: the page is gone."
        )
    if status >= 400:
        what = "the server refused it" if status < 500 else "the server failed"
        return make(
            "links.online-status",
            Severity.WARNING,
            f"{s.url} answers {status} ({what}; it may work in a browser).",
        )
    if s.redirects and s.final_url != s.url:
        return make(
            "links.online-redirect",
            Severity.INFO,
            f"{s.url} redirects to {s.final_url}: link to the final address to save a hop.",
        )
    return None
