"""The local relay's delivery events, served in the Events API's shape (``GET
/api/v1/events/message``), so the events client is tried end to end with no account.

For every copy the relay delivers it logs an ``injection``, then, by the recipient's domain:

* ``bounce.example.com``: a hard ``bounce``, bounce class 10 (Invalid Recipient) with the
  reason a receiving MTA would give (``550 5.1.1 ... user unknown``);
* ``defer.example.com``: a ``delay`` (421, class 70 "Transient Failure"), then the
  ``delivery`` once ``defer_seconds`` have passed (made when a search first looks after that;
  3 s, or ``COMPOSER_SANDBOX_DEFER`` seconds, so a script or a test can hold it delayed);
* any other: a ``delivery``.

(``example.com`` is reserved for documentation (RFC 2606), so no real mail is ever meant for
these domains.) The copy is in the Maildir either way: the sandbox keeps what it was given.

Search takes the documented filters (recipients, transmission_ids, message_ids, campaigns /
campaign_ids, events, from / to as ``YYYY-MM-DDTHH:MM``, per_page 1-10000, cursor) and answers
``{"results", "total_count", "links": {"next": ...}}``, newest first, paged with an opaque
cursor that names the last event shown (keyset paging: events logged meanwhile neither repeat
nor shift a page).

Bounded: at most ``MAX_EVENTS`` events are kept (the oldest go first), none older than the API's
10 days, in a 0600 JSON-lines file beside the mail (``.events.jsonl``), rewritten whole (atomic)
when it has grown to twice that.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import math
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from composer.relay.fanout import Copy, Request
from composer.store.atomic import atomic_write_text
from composer.store.paths import make_private_file

__all__ = [
    "BOUNCE_DOMAIN",
    "DEFER_DOMAIN",
    "EVENTS_FILE",
    "EVENTS_PATH",
    "MAX_EVENTS",
    "EventLog",
    "SearchError",
]

log = logging.getLogger("composer.relay")

EVENTS_FILE = ".events.jsonl"
EVENTS_PATH = "/api/v1/events/message"
BOUNCE_DOMAIN = "bounce.example.com"
DEFER_DOMAIN = "defer.example.com"
MAX_EVENTS = 20_000
MAX_PER_PAGE = 10_000  # "Must be between 1 and 10,000" (Events API, per_page)
DEFAULT_PER_PAGE = 1000
RETENTION = timedelta(days=10)  # "Data in the Events API is retained for 10 days"
DEFER_SECONDS = 3.0
DEFER_VAR = "COMPOSER_SANDBOX_DEFER"
_TEXT_CAP = 300  # a subject or reason logged is cut here
_FILTERS = ("recipients", "transmission_ids", "message_ids", "campaigns", "campaign_ids",
            "events")  # fmt: skip
_KNOWN = {*_FILTERS, "from", "to", "per_page", "cursor", "timezone", "delimiter"}


class SearchError(ValueError):
    """A query the API would answer 400 to; the text names the parameter."""


def _iso(t: float) -> str:
    whole = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
    return whole + f"{int(t * 1000) % 1000:03d}Z"


def _subject(request: Request) -> str:
    for f in request.fields:
        if f.name == "subject":
            raw = b" ".join(line.strip() for line in f.lines)[len(b"subject:") :].strip()
            text = raw.decode("utf-8", "replace")
            with contextlib.suppress(ValueError, LookupError, UnicodeError):
                text = str(make_header(decode_header(text)))
            return text[:_TEXT_CAP]
    return ""


def _parse_time(name: str, value: str) -> float:
    text = value.strip().replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SearchError(f"{name}: give a time as YYYY-MM-DDTHH:MM") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def _defer_seconds() -> float:
    try:
        value = float(os.environ.get(DEFER_VAR, DEFER_SECONDS))
    except ValueError:
        return DEFER_SECONDS
    return value if math.isfinite(value) and 0 <= value <= 86400 else DEFER_SECONDS


def encode_cursor(timestamp: str, event_id: str) -> str:
    raw = json.dumps([timestamp, event_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    """The (timestamp, event id) a cursor names; None for ``initial``."""
    if cursor in ("", "initial"):
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        raise SearchError("cursor: not a cursor this API gave") from None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise SearchError("cursor: not a cursor this API gave")
    return value[0], value[1]


class EventLog:
    """Events of what one Maildir's relay delivered; thread-safe (one HTTP thread per request,
    the SMTP server's own thread)."""

    def __init__(
        self,
        folder: Path,
        *,
        max_events: int = MAX_EVENTS,
        defer_seconds: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(folder) / EVENTS_FILE
        self.max_events = max_events
        self.defer_seconds = _defer_seconds() if defer_seconds is None else defer_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._events: deque[dict[str, Any]] = deque(maxlen=max_events)
        self._pending: list[tuple[float, dict[str, Any]]] = []  # (due, delivery event)
        self._lines = 0
        self._seq = 0
        self._load()

    # --- the file -------------------------------------------------------------------------

    def _load(self) -> None:
        oldest = _iso(self._clock() - RETENTION.total_seconds())
        try:
            with open(self.path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    self._lines += 1
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        continue  # a line cut by a crash: the rest still counts
                    if not isinstance(ev, dict) or not isinstance(ev.get("timestamp"), str):
                        continue
                    if ev.pop("_due", None) is not None:
                        self._pending.append((_parse_time("due", ev["timestamp"]), ev))
                    elif ev["timestamp"] >= oldest:
                        self._events.append(ev)
        except FileNotFoundError:
            return
        except OSError as exc:
            log.warning("cannot read the relay's events %s: %s", self.path, exc)

    def _append(self, events: Sequence[dict[str, Any]]) -> None:
        try:
            if self._lines + len(events) > 2 * self.max_events:
                self._rewrite()
            else:
                make_private_file(self.path)  # 0600 before the first byte
                with open(self.path, "a", encoding="utf-8") as f:
                    for ev in events:
                        f.write(json.dumps(ev, separators=(",", ":")) + "\n")
                self._lines += len(events)
        except OSError as exc:
            # the mail is delivered; an event not kept on disk must not turn that into a failure
            log.warning("cannot save the relay's events in %s: %s", self.path, exc)

    def _rewrite(self) -> None:
        lines = [json.dumps(ev, separators=(",", ":")) for ev in self._events]
        due = [{**ev, "_due": True} for _, ev in self._pending]
        lines += [json.dumps(ev, separators=(",", ":")) for ev in due]
        atomic_write_text(self.path, "".join(line + "\n" for line in lines))
        self._lines = len(lines)

    # --- logging what was delivered ---------------------------------------------------------

    def record(
        self, request: Request, mail_from: str, copies: Sequence[Copy], transmission_id: str
    ) -> None:
        """The events of one accepted message: an injection per copy, then its fate."""
        with self._lock:  # the event ids' sequence is shared by the request threads
            self._record(request, mail_from, copies, transmission_id)

    def _record(
        self, request: Request, mail_from: str, copies: Sequence[Copy], transmission_id: str
    ) -> None:
        now = self._clock()
        campaign = request.api.get("campaign_id")
        base = {
            "transmission_id": transmission_id,
            "campaign_id": campaign if isinstance(campaign, str) else "",
            "subject": _subject(request),
            "friendly_from": mail_from,
            "msg_from": mail_from,
            "injection_time": _iso(now),
            "customer_id": "0",
        }
        new: list[dict[str, Any]] = []
        pending: list[tuple[float, dict[str, Any]]] = []
        for copy in copies:
            rcpt = copy.rcpt
            per = {**base, "message_id": secrets.token_hex(10), "rcpt_to": rcpt.lower(),
                   "raw_rcpt_to": rcpt, "rcpt_type": copy.rcpt_type}  # fmt: skip
            new.append(self._event("injection", now, per))
            domain = rcpt.rpartition("@")[2].lower()
            if domain == BOUNCE_DOMAIN:
                reason = f"550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown"
                new.append(self._event("bounce", now, per, bounce_class="10", error_code="550",
                                       reason=reason, raw_reason=reason))  # fmt: skip
            elif domain == DEFER_DOMAIN:
                reason = f"421 4.2.0 <{rcpt}>: mailbox busy, try again later (local sandbox)"
                delay = dict(bounce_class="70", error_code="421", reason=reason,
                             raw_reason=reason, num_retries="1")  # fmt: skip
                new.append(self._event("delay", now, per, **delay))
                due = now + self.defer_seconds
                pending.append((due, self._event("delivery", due, per, num_retries="1")))
            else:
                new.append(self._event("delivery", now, per))
        self._events.extend(new)
        self._pending = (self._pending + pending)[-self.max_events :]  # bounded like the rest
        self._append(new + [{**ev, "_due": True} for _, ev in pending])

    def _event(self, kind: str, t: float, fields: Mapping[str, Any], **more: str) -> dict[str, Any]:
        # event ids grow with time and then with the order logged: newest-first has no ties
        self._seq = (self._seq + 1) % 10**6
        event_id = f"{int(t * 1000):d}{self._seq:06d}"
        return {"type": kind, "timestamp": _iso(t), "event_id": event_id, **fields, **more}

    def _release_due(self) -> None:
        """Deliveries whose delay is over become events (under the lock)."""
        now = self._clock()
        due = [ev for when, ev in self._pending if when <= now]
        if not due:
            return
        self._pending = [(when, ev) for when, ev in self._pending if when > now]
        self._events.extend(due)
        self._rewrite_quietly()

    def _rewrite_quietly(self) -> None:
        try:
            self._rewrite()
        except OSError as exc:
            log.warning("cannot save the relay's events in %s: %s", self.path, exc)

    # --- search ----------------------------------------------------------------------------

    def search(self, query: Mapping[str, str]) -> dict[str, Any]:
        """The Events API's answer to one query (the parameters as given); SearchError for a
        parameter it would refuse."""
        unknown = sorted(set(query) - _KNOWN)
        if unknown:
            raise SearchError(f"{unknown[0]}: not a parameter of this search")
        if query.get("timezone", "UTC").upper() not in ("UTC", "ETC/UTC"):
            raise SearchError("timezone: the local sandbox takes times in UTC only")
        sep = query.get("delimiter", ",")
        if len(sep) != 1:
            raise SearchError("delimiter: give one character")
        sets = {
            name: {v.strip().lower() for v in query[name].split(sep) if v.strip()}
            for name in _FILTERS
            if query.get(name)
        }
        now = self._clock()
        start = _parse_time("from", query["from"]) if query.get("from") else now - 86400
        end = _parse_time("to", query["to"]) + 59.999 if query.get("to") else now + 1
        if start > end:
            raise SearchError("from: must be before to")
        per_page_text = query.get("per_page", str(DEFAULT_PER_PAGE))
        if not (per_page_text.isascii() and per_page_text.isdigit() and len(per_page_text) <= 6):
            raise SearchError("per_page: give a number from 1 to 10000")
        per_page = int(per_page_text)
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise SearchError("per_page: give a number from 1 to 10000")
        after = decode_cursor(query.get("cursor", "initial"))
        lo, hi = _iso(start), _iso(end)
        with self._lock:
            self._release_due()
            found = [ev for ev in self._events if lo <= ev["timestamp"] <= hi and _match(ev, sets)]
        found.sort(key=lambda ev: (ev["timestamp"], ev["event_id"]), reverse=True)
        total = len(found)
        if after is not None:
            found = [ev for ev in found if (ev["timestamp"], ev["event_id"]) < after]
        page = found[:per_page]
        doc: dict[str, Any] = {"results": page, "total_count": total, "links": {}}
        if len(found) > per_page:
            last = page[-1]
            params = {k: v for k, v in query.items() if k != "cursor"}
            params["cursor"] = encode_cursor(last["timestamp"], last["event_id"])
            doc["links"]["next"] = f"{EVENTS_PATH}?{urlencode(params)}"
        return doc


def _match(ev: Mapping[str, Any], sets: Mapping[str, set[str]]) -> bool:
    for name, wanted in sets.items():
        field = {
            "recipients": "rcpt_to",
            "transmission_ids": "transmission_id",
            "message_ids": "message_id",
            "campaigns": "campaign_id",
            "campaign_ids": "campaign_id",
            "events": "type",
        }[name]
        if str(ev.get(field, "")).lower() not in wanted:
            return False
    return True
