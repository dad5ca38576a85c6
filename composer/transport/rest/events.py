"""The Events API client: ``GET /api/v1/events/message``, paged, over the REST session's
bounded reader (wire.py: every answer within a wall-clock deadline and 1 MB).

What the documentation says, and what Composer assumes (issue 18 asks the note to tell them
apart). Sources: SparkPost "Events" (developers.sparkpost.com/api/events, its API Blueprint
``content/api/events.apib``), SparkPost support "Getting Started with the Events Search API" and
its example script, "Bounce Classification Codes", "Understanding Delays and Bounces"; seeds/002
(rate limiting); Bird "Email API / Events" (docs.bird.com/api/email-api/events).

Confirmed in the documentation:
- the path ``/api/v1/events/message``, sorted by descending timestamp; events kept 10 days;
  URI at most 4096 characters;
- filters ``recipients``, ``transmission_ids``, ``message_ids``, ``events`` (types), ``from`` /
  ``to`` as ``YYYY-MM-DDTHH:MM`` (UTC unless ``timezone``), ``per_page`` 1-10000 (default 1000),
  ``cursor`` (``initial`` first); campaigns as ``campaigns`` (current text; ``campaign_ids`` in
  an older draft - Composer sends ``campaigns``);
- the answer ``{"results": [...], "total_count": N, "links": ...}``, the next page's URL in
  ``links`` (the example script reads ``links.next`` as a string; the blueprint draft shows a
  list of ``{"href", "rel": "next"}``: both are read);
- event types ``injection delivery delay bounce out_of_band policy_rejection generation_failure
  generation_rejection spam_complaint open initial_open click initial_click amp_open amp_click``
  (Bird lists the same);
- fields ``type timestamp event_id message_id transmission_id rcpt_to raw_rcpt_to campaign_id
  subject bounce_class reason raw_reason error_code num_retries target_link_url``, bounce
  classes as strings of digits, the class table;
- the key needs the "Events Search: Read-only" grant; 429 when polled too often ("more than
  once in 2 minutes may encounter rate limiting", seeds/002);
- Bird hosts ``email.us-west-2.api.bird.com`` (US; one copy of the page says us-west-1) and
  ``email.eu-west-1.api.bird.com`` (EU).

Assumed (not found in the documentation):
- that Bird serves the same path and shapes under ``/api/v1`` and takes ``Authorization:
  AccessKey <key>`` as its SMTP relay does (seeds/004);
- that a ``Retry-After`` comes with a 429 (read when present; else the back-off applies);
- that a ``to`` up to a minute ahead is accepted (Composer rounds *up* to the minute so the last
  minute is not cut off; the documented default is "1 minute ago");
- that an SMTP send's events can be found by its recipients, time and subject (the relay's 250
  carries no id Composer can rely on), then by the ``transmission_id`` of its injection.

Bounded: each reply by the session's deadline and cap; at most ``max_pages`` pages and one
overall deadline; a cursor seen before ends the paging (a loop); a Retry-After is waited at most
``max_wait`` and never past the deadline. Nothing from the server is shown without the key
hidden in it (keymask.py). Redirects are not followed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from composer.core.delivery import DeliveryEvent
from composer.core.errors import (
    EventsAccessDenied,
    EventsUnavailable,
    TransportError,
)
from composer.transport.rest.keymask import hide_in_error, hide_key
from composer.transport.rest.replies import describe_errors, parse_retry_after, printable, small_int
from composer.transport.rest.session import RestSession

__all__ = [
    "EVENTS_PERMISSION",
    "EventQuery",
    "SearchResult",
    "parse_event",
    "search_events",
]

EVENTS_PERMISSION = "Events Search: Read Only"
PER_PAGE = 250  # events of ~1-2 KB each: a page well inside the reader's 1 MB cap
MAX_PAGES = 40
MAX_WAIT = 60.0  # the longest Retry-After honoured
MAX_TRIES = 4  # one request and up to 3 more after a 429 / 503
MAX_URI = 4096  # "The maximum URI length is 4096 characters"
_TEXT = 500  # any text field of an event is cut here


@dataclass(frozen=True)
class EventQuery:
    start: datetime  # the search window (UTC); the API takes minutes
    end: datetime
    recipients: tuple[str, ...] = ()
    transmission_ids: tuple[str, ...] = ()
    message_ids: tuple[str, ...] = ()
    campaigns: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    def params(self) -> list[tuple[str, str]]:
        start = self.start.astimezone(UTC).replace(second=0, microsecond=0)
        end = self.end.astimezone(UTC)
        if end.second or end.microsecond:  # up to the minute, so the last one is not cut off
            end = end.replace(second=0, microsecond=0) + timedelta(minutes=1)
        out = [("from", start.strftime("%Y-%m-%dT%H:%M")), ("to", end.strftime("%Y-%m-%dT%H:%M"))]
        lists = (self.recipients, self.transmission_ids, self.message_ids, self.campaigns)
        # a quoted local part may hold a comma: then the lists take another ("delimiter")
        used = "".join(v for values in lists for v in values)
        sep = next((d for d in ",;|\t" if d not in used), ",")
        if sep != ",":
            out.append(("delimiter", sep))
        for name, values in (
            ("recipients", self.recipients),
            ("transmission_ids", self.transmission_ids),
            ("message_ids", self.message_ids),
            ("campaigns", self.campaigns),
            ("events", self.types),
        ):
            if values:
                out.append((name, sep.join(values)))
        return out


@dataclass
class SearchResult:
    events: list[DeliveryEvent] = field(default_factory=list)
    total_count: int | None = None
    pages: int = 0
    note: str = ""  # why the paging stopped early ("" when it reached the end)


def _text(raw: Any, cap: int = _TEXT) -> str:
    if isinstance(raw, bool) or raw is None:
        return ""
    if isinstance(raw, int):
        raw = str(raw) if abs(raw) < 10**30 else ""
    return printable(raw, cap) if isinstance(raw, str) else ""


def parse_event(raw: Any) -> DeliveryEvent | None:
    """One result, checked; None for one that is not an event (no type, time or recipient)."""
    if not isinstance(raw, dict):
        return None
    kind, when, rcpt = _text(raw.get("type"), 40), _text(raw.get("timestamp"), 40), ""
    rcpt = _text(raw.get("rcpt_to"), 320) or _text(raw.get("raw_rcpt_to"), 320)
    if not (kind and when and rcpt):
        return None
    return DeliveryEvent(
        type=kind,
        timestamp=when,
        rcpt_to=rcpt,
        event_id=_text(raw.get("event_id"), 64),
        message_id=_text(raw.get("message_id"), 128),
        transmission_id=_text(raw.get("transmission_id"), 64),
        campaign_id=_text(raw.get("campaign_id"), 128),
        subject=_text(raw.get("subject"), 300),
        bounce_class=small_int(raw.get("bounce_class"), 3),
        reason=_text(raw.get("reason")),
        raw_reason=_text(raw.get("raw_reason")),
        error_code=_text(raw.get("error_code"), 8),
        num_retries=small_int(raw.get("num_retries"), 4),
        target_link_url=_text(raw.get("target_link_url"), 300),
    )


def _next_cursor(links: Any) -> str | None:
    """The cursor of the next page from ``links``: ``{"next": url}`` or ``[{"rel": "next",
    "href": url}]``. Only the cursor is taken: the next request is Composer's own, to the same
    host and path, so a link cannot send the key elsewhere."""
    href: Any = None
    if isinstance(links, dict):
        href = links.get("next")
        if isinstance(href, dict):
            href = href.get("href")
    elif isinstance(links, list):
        for link in links[:10]:
            if isinstance(link, dict) and link.get("rel") == "next":
                href = link.get("href")
                break
    if not isinstance(href, str) or len(href) > MAX_URI:
        return None
    for name, value in parse_qsl(urlsplit(href).query, max_num_fields=60):
        if name == "cursor" and value and value != "initial":
            return value
    return None


def search_events(
    session: RestSession,
    query: EventQuery,
    *,
    profile: str = "PROFILE",
    per_page: int = PER_PAGE,
    max_pages: int = MAX_PAGES,
    deadline: float = 120.0,
    max_wait: float = MAX_WAIT,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> SearchResult:
    """Every event the query finds, page after page. Raises EventsAccessDenied (401/403) or
    EventsUnavailable; a loop or too many pages ends the paging with ``note`` said."""
    until = clock() + deadline
    result = SearchResult()
    params = [*query.params(), ("per_page", str(per_page))]
    cursor = "initial"
    seen: set[str] = {cursor}
    while True:
        path = "/events/message?" + urlencode([*params, ("cursor", cursor)])
        if len(path) + len(session.endpoint.base_path) > MAX_URI:
            raise EventsUnavailable("the events query is longer than the API's 4096 characters")
        doc = _page(session, path, until, max_wait, sleep, clock, profile)
        result.pages += 1
        results = doc.get("results")
        for raw in results if isinstance(results, list) else []:
            ev = parse_event(raw)
            if ev is not None:
                result.events.append(ev)
        if result.total_count is None:
            result.total_count = small_int(doc.get("total_count"), 9)
        nxt = _next_cursor(doc.get("links"))
        if nxt is None:
            return result
        if nxt in seen:
            result.note = f"the API's pages lead back to one already read (after {result.pages})"
            return result
        if result.pages >= max_pages:
            result.note = f"stopped after {max_pages} pages; there are more events"
            return result
        seen.add(nxt)
        cursor = nxt


def _keys(session: RestSession) -> list[str]:
    """The key as sent, and bare: Bird's header is ``AccessKey <key>``, and a server may echo
    the key alone."""
    sent = session.endpoint.api_key.reveal()
    bare = sent.removeprefix("AccessKey ")
    return [sent, bare] if bare != sent else [sent]


def _hide(session: RestSession, text: str) -> str:
    for key in _keys(session):
        text = hide_key(text, key)
    return text


def _page(
    session: RestSession,
    path: str,
    until: float,
    max_wait: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    profile: str,
) -> dict[str, Any]:
    host = session.endpoint.host
    for attempt in range(1, MAX_TRIES + 1):
        if clock() >= until:
            raise EventsUnavailable(f"{host} did not give the events in time")
        try:
            status, body, retry_after, problem = session.exchange("GET", path)
        except TransportError as exc:
            for key in _keys(session):
                hide_in_error(exc, key)
            raise EventsUnavailable(f"could not ask {host} for the delivery events: {exc}") from exc
        said = _hide(session, describe_errors(_json(body)))
        if status in (401, 403):
            raise EventsAccessDenied(
                f"{host} answered {status}: this key lacks the '{EVENTS_PERMISSION}' permission"
                f" (or is not the account's); add an events key to the profile: "
                f"composer profile set-key {profile} --events" + (f" ({said})" if said else "")
            )
        if status in (429, 503) and attempt < MAX_TRIES:
            wait = parse_retry_after(retry_after)
            wait = min(max_wait, 2.0 * 2 ** (attempt - 1) if wait is None else wait)
            if clock() + wait >= until:
                break
            sleep(wait)
            continue
        if status == 429:
            break
        if not 200 <= status < 300:
            detail = said or _hide(session, problem) or "no detail"
            raise EventsUnavailable(f"{host} answered {status} to the events search ({detail})")
        if problem:
            problem = _hide(session, problem)
            raise EventsUnavailable(f"the events answer from {host} could not be read: {problem}")
        doc = _json(body)
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
            raise EventsUnavailable(f"{host} answered the events search with something else "
                                    "than the API's JSON")  # fmt: skip
        return doc
    raise EventsUnavailable(
        f"{host} is limiting the request rate (429) past the wait allowed; ask again in a "
        "few minutes (polling more than once in 2 minutes may be limited)"
    )


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def recipients_in_chunks(rcpts: Sequence[str], budget: int = 2000) -> list[tuple[str, ...]]:
    """Recipients split so each query's list stays well inside the 4096-character URI."""
    chunks: list[tuple[str, ...]] = []
    current: list[str] = []
    size = 0
    for r in rcpts:
        if current and size + len(r) * 3 + 3 > budget:
            chunks.append(tuple(current))
            current, size = [], 0
        current.append(r)
        size += len(r) * 3 + 3  # URL-encoded at worst
    if current:
        chunks.append(tuple(current))
    return chunks
