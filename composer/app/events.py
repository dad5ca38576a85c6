"""Did it arrive? A history entry -> its recipients' delivery states, asked of the relay's
Events API, stored with the history; the one sequence ``composer events`` and the window share.

How a send is found again (what the history already keeps):

* a REST send by its ``transmission_id`` (the API's answer to the send);
* an SMTP send by its recipients, the minutes around its time and its subject; once an
  injection is found, by the ``transmission_id`` of that injection (kept with its events). When
  several sends to one recipient with one subject fall in the window, the transmission whose
  injection is nearest the send's time is taken. The local relay's 250 names its transmission
  (``queued as <id>``); that id is used when the reply has it.

The local profile asks the local relay: its HTTP endpoint is started here over the sandbox
Maildir (where the relay keeps its events) - the same client and the same wire as for the real
API. Every other profile asks its provider's Events API with the profile's events key, else its
API key (credentials.get_events_key).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from composer.app.context import Context
from composer.core.delivery import DeliveryEvent, RecipientState, State, recipient_states
from composer.core.errors import EventsUnavailable, ProfileError
from composer.store.history import HistoryEntry
from composer.transport.profiles.credentials import Secret
from composer.transport.profiles.providers import PRESETS, Provider, parse_provider
from composer.transport.profiles.store import Profile
from composer.transport.rest.events import EventQuery, recipients_in_chunks, search_events
from composer.transport.rest.session import RestEndpoint, RestSession

__all__ = [
    "EVENTS_URLS",
    "SendStates",
    "check_sends",
    "events_url",
    "open_events_session",
    "poll_intervals",
    "profile_for",
    "states_of",
]

# Where each provider's Events API lives (the path /events/message is added).
EVENTS_URLS: dict[Provider, str | None] = {
    Provider.SPARKPOST: "https://api.sparkpost.com/api/v1",
    Provider.SPARKPOST_EU: "https://api.eu.sparkpost.com/api/v1",
    Provider.BIRD: "https://email.us-west-2.api.bird.com/api/v1",
    Provider.BIRD_EU: "https://email.eu-west-1.api.bird.com/api/v1",
    Provider.CUSTOM: None,  # the account's own API URL (profile api_url)
    Provider.LOCAL: None,  # the local relay's endpoint, started here
}
RETENTION = timedelta(days=10)  # "Data in the Events API is retained for 10 days"
SLACK = timedelta(minutes=2)  # the history's time is taken after the relay's answer
_QUEUED_AS = re.compile(r"queued as ([0-9]{6,30})\b")
_LOCAL_KEY = "local-sandbox"


def events_url(profile: Profile) -> str | None:
    """The Events API base for a profile; None for the local relay (started on demand)."""
    if profile.api_url:
        return profile.api_url.rstrip("/")
    if profile.provider is Provider.CUSTOM:
        raise ProfileError(
            "api_url",
            "the delivery events of a SparkPost Enterprise profile need the account's API URL "
            "(composer profile add ... --api-url https://yourdomain.api.e.sparkpost.com/api/v1)",
        )
    return EVENTS_URLS[profile.provider]


def profile_for(context: Context, name: str | None) -> Profile:
    """The profile to ask with: by name (a send's, or the person's choice), else the default.
    A send made with ``--provider`` and no saved profile is named after its provider."""
    store = context.profiles()
    if name is None:
        default = store.default()
        if default is None:
            raise ProfileError("profile", "no default profile: name one with --profile")
        return default
    if name in store:
        return store.get(name)
    try:
        return Profile.new(name, parse_provider(name))
    except ProfileError:
        return store.get(name)  # its error names the profiles there are


@contextmanager
def open_events_session(
    context: Context, profile: Profile, *, timeout: float = 15.0, final_timeout: float = 30.0
) -> Iterator[RestSession]:
    """A session to the profile's Events API (the key read here, at the last moment)."""
    url = events_url(profile)
    if url is None:
        from composer.relay.http import LocalHttpRelay

        with LocalHttpRelay(context.sandbox) as relay:
            endpoint = RestEndpoint(relay.url, Secret(_LOCAL_KEY), None, timeout, final_timeout)
            with RestSession(endpoint) as session:
                yield session
        return
    key = context.credentials.get_events_key(profile.name)
    if PRESETS[profile.provider].workspace:
        # as Bird's SMTP password wants it (an assumption: see transport/rest/events.py)
        key = Secret(f"AccessKey {key.reveal()}")
    with RestSession(RestEndpoint(url, key, None, timeout, final_timeout)) as session:
        yield session


@dataclass
class SendStates:
    entry: HistoryEntry
    recipients: list[RecipientState]
    checked: str = ""  # when the relay was last asked ("" never)
    note: str = ""  # what went wrong asking, or why the paging stopped

    @property
    def final(self) -> bool:
        return bool(self.recipients) and all(r.final for r in self.recipients)

    def count(self, *states: State) -> int:
        return sum(r.state in states for r in self.recipients)

    def as_json(self) -> dict[str, object]:
        e = self.entry
        return {
            "send_id": e.id,
            "time": e.time,
            "profile": e.profile,
            "subject": e.subject,
            "message_id": e.message_id,
            "transmission_id": e.transmission_id or self.transmission_id,
            "status": e.status,
            "checked": self.checked or None,
            "note": self.note or None,
            "final": self.final,
            "recipients": [r.as_json() for r in self.recipients],
        }

    @property
    def transmission_id(self) -> str | None:
        return _found_transmission(self.entry, [ev for r in self.recipients for ev in r.events])


def states_of(entry: HistoryEntry, events: list[DeliveryEvent]) -> list[RecipientState]:
    """Per recipient; a send the relay never took has no delivery to follow."""
    if entry.status != "sent":
        return []
    accepted = [r for r in entry.rcpt_to if r not in entry.refused]
    mine = _this_send(entry, events)
    # Cc, Bcc and archive copies go out under the same transmission without being envelope
    # recipients of ours: whoever the relay reports for this very transmission is followed too.
    tid = _found_transmission(entry, events)
    known = {r.lower() for r in accepted}
    for ev in mine:
        if tid and ev.transmission_id == tid and ev.rcpt_to and ev.rcpt_to.lower() not in known:
            known.add(ev.rcpt_to.lower())
            accepted.append(ev.rcpt_to)
    return recipient_states(accepted, mine)


def _time(entry: HistoryEntry) -> datetime:
    try:
        when = datetime.fromisoformat(entry.time)
    except ValueError:
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _known_tid(entry: HistoryEntry) -> str | None:
    if entry.transmission_id:
        return entry.transmission_id
    m = _QUEUED_AS.search(entry.reply or "")
    return m.group(1) if m else None


def _found_transmission(entry: HistoryEntry, events: list[DeliveryEvent]) -> str | None:
    """The transmission an SMTP send became: from its reply, else the injection nearest its
    time among the events that match its recipients and subject."""
    known = _known_tid(entry)
    if known:
        return known
    sent = _time(entry)
    best: tuple[float, str] | None = None
    for ev in events:
        if ev.type != "injection" or not ev.transmission_id:
            continue
        if ev.subject and entry.subject and ev.subject != entry.subject:
            continue
        try:
            at = datetime.fromisoformat(ev.timestamp.replace("Z", "+00:00"))
        except ValueError:
            continue
        gap = abs((at - sent).total_seconds())
        if best is None or gap < best[0]:
            best = (gap, ev.transmission_id)
    return best[1] if best else None


def _this_send(entry: HistoryEntry, events: list[DeliveryEvent]) -> list[DeliveryEvent]:
    tid = _found_transmission(entry, events)
    if tid:
        return [ev for ev in events if ev.transmission_id in ("", tid)]
    subject = entry.subject
    return [ev for ev in events if not (ev.subject and subject and ev.subject != subject)]


def _query(entry: HistoryEntry, known: list[DeliveryEvent], now: datetime) -> list[EventQuery]:
    sent = _time(entry)
    if now - sent > RETENTION:
        raise EventsUnavailable(
            f"send {entry.id} is older than the 10 days the relay keeps events for; what the "
            "history holds is all there is"
        )
    start, end = sent - SLACK, now
    tid = _found_transmission(entry, known)
    if tid:
        return [EventQuery(start, end, transmission_ids=(tid,))]
    rcpts = [r for r in entry.rcpt_to if r not in entry.refused]
    return [EventQuery(start, end, recipients=chunk) for chunk in recipients_in_chunks(rcpts)]


def check_sends(
    context: Context,
    profile: Profile,
    entries: list[HistoryEntry],
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    **search: object,
) -> list[SendStates]:
    """Ask the relay once about each send (those not final yet), store what it says with the
    history, and return every send's states. Raises EventsUnavailable / EventsAccessDenied
    (nothing stored then but the note)."""
    with context.history() as history:
        stored = history.events([e.id for e in entries])
    out: list[SendStates] = []
    open_ones = [e for e in entries if e.status == "sent"]
    found: dict[int, list[DeliveryEvent]] = {}
    notes: dict[int, str] = {}
    if open_ones:
        with open_events_session(context, profile) as session:
            for e in open_ones:
                if all(r.final for r in states_of(e, stored[e.id])) and stored[e.id]:
                    continue
                events: list[DeliveryEvent] = []
                for q in _query(e, stored[e.id], now()):
                    result = search_events(session, q, profile=profile.name, **search)  # type: ignore[arg-type]
                    events += result.events
                    notes[e.id] = result.note
                found[e.id] = events
    checked = now().isoformat(timespec="seconds")
    with context.history() as history:
        for send_id, events in found.items():
            history.add_events(send_id, events, checked, notes.get(send_id, ""))
        stored = history.events([e.id for e in entries])
        checks = {e.id: history.last_check(e.id) for e in entries}
    for e in entries:
        c = checks[e.id]
        out.append(
            SendStates(e, states_of(e, stored[e.id]), c.checked if c else "", c.note if c else "")
        )
    return out


def poll_intervals(local: bool, first: float | None = None) -> Iterator[float]:
    """Seconds between polls, growing: the local relay answers at once; the real API may
    rate-limit polling "more than once in 2 minutes" (seeds/002), so it starts at 30 s."""
    wait = first if first is not None else (1.0 if local else 30.0)
    cap = 15.0 if local else 120.0
    while True:
        yield wait
        wait = min(cap, wait * 2)


def wait_for_final(
    context: Context,
    profile: Profile,
    entries: list[HistoryEntry],
    seconds: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[SendStates]:
    """Poll with back-off until every recipient has a final state or ``seconds`` are up."""
    until = clock() + seconds
    intervals = poll_intervals(events_url(profile) is None)
    while True:
        states = check_sends(context, profile, entries)
        left = until - clock()
        if all(s.final or not s.recipients for s in states) or left <= 0:
            return states
        sleep(min(next(intervals), left))
