"""``composer events``: did it arrive? Each recipient's delivery state after a send, from the
relay's Events API (the local relay's own for the local profile), stored with the history.

    composer events [--last | --send N | --message-id ID | --campaign ID] [--wait SECONDS]
                    [--json] [--profile NAME]

Exit codes (issue 18): 0 every recipient delivered; 3 any bounced or rejected (a send the relay
refused outright counts as rejected); 4 some still unknown at the end - not yet final, or the
relay could not be asked (no events permission, rate limited, unreachable). ``--wait`` polls
with back-off until every recipient is final or the time is up.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from composer.app.context import Context
from composer.app.events import (
    RETENTION,
    SendStates,
    check_sends,
    open_events_session,
    profile_for,
    states_of,
)
from composer.app.events import wait_for_final as _wait
from composer.core.delivery import RecipientState, State, recipient_states
from composer.core.errors import EventsUnavailable, ExitCode, UsageError
from composer.store.history import HistoryEntry
from composer.transport.profiles.store import Profile
from composer.transport.rest.events import EventQuery, search_events

__all__ = ["add_parser", "run_events"]

MAX_WAIT = 86_400.0


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "events",
        help="did it arrive? each recipient's delivery state after a send",
        description="What the relay's Events API says became of a send's recipients: "
        "injected, delivered, delayed, bounced (with the reason and bounce class), rejected, "
        "opens and clicks. Exit 0 all delivered, 3 any bounced or rejected, 4 some unknown.",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument("--last", action="store_true", help="the latest send (the default)")
    which.add_argument("--send", type=int, dest="id", metavar="N", help="send N of the history")
    which.add_argument(
        "--message-id", metavar="ID", help="the send with this Message-ID (or the relay's id)"
    )
    which.add_argument("--campaign", metavar="ID", help="every recipient of a campaign (10 days)")
    p.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="ask again, less and less often, until every recipient is final or time is up",
    )
    p.add_argument("--profile", metavar="NAME", help="ask with this profile (default: the send's)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run_events)


def _profile(context: Context, name: str | None) -> Profile:
    return profile_for(context, name)


def _entries(context: Context, args: argparse.Namespace) -> list[HistoryEntry]:
    with context.history() as history:
        if args.id is not None:
            found = history.find(send_id=args.id)
            if not found:
                raise UsageError(f"--send: there is no send {args.id} in the history")
            return found
        if args.message_id is not None:
            return history.find(message_id=args.message_id)[:1]
        found = history.recent(1)
    if not found:
        raise UsageError("--last: nothing has been sent yet (the history is empty)")
    return found


def _bare(context: Context, profile: Profile, **filters: tuple[str, ...]) -> list[RecipientState]:
    """A campaign's or a relay message id's recipients, from the events alone."""
    now = datetime.now(UTC)
    query = EventQuery(now - RETENTION + timedelta(minutes=5), now, **filters)
    with open_events_session(context, profile) as session:
        result = search_events(session, query, profile=profile.name)
    oldest_first = sorted(result.events, key=lambda e: e.timestamp)
    rcpts = list(dict.fromkeys(ev.rcpt_to for ev in oldest_first))
    return recipient_states(rcpts, result.events)


def _exit(states: list[SendStates], bare: list[RecipientState] | None) -> ExitCode:
    recipients = [r for s in states for r in s.recipients] + (bare or [])
    if any(s.entry.status == "failed" for s in states) or any(
        r.state in (State.BOUNCED, State.REJECTED) for r in recipients
    ):
        return ExitCode.REFUSED
    if any(s.entry.status != "sent" for s in states) or not recipients:
        return ExitCode.INCOMPLETE
    return ExitCode.OK if all(r.final for r in recipients) else ExitCode.INCOMPLETE


def _check_wait(value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and 0 < value <= MAX_WAIT):
        raise UsageError(f"--wait: give a number of seconds above 0 and at most {MAX_WAIT:g}")


def run_events(context: Context, args: argparse.Namespace) -> int:
    _check_wait(args.wait)
    if args.campaign is not None:
        profile = _profile(context, args.profile)
        bare = _bare(context, profile, campaigns=(args.campaign,))
        return _report([], bare, args, f"campaign {args.campaign}")
    entries = _entries(context, args)
    if not entries:  # a --message-id the history does not know: the relay's own message id
        profile = _profile(context, args.profile)
        bare = _bare(context, profile, message_ids=(args.message_id,))
        return _report([], bare, args, f"message {args.message_id}")
    profile = _profile(context, args.profile or entries[0].profile)
    try:
        if args.wait:
            states = _wait(context, profile, entries, args.wait)
        else:
            states = check_sends(context, profile, entries)
    except EventsUnavailable as exc:
        with context.history() as history:  # what the history already knows, then why no more
            stored = history.events([e.id for e in entries])
        offline = [SendStates(e, states_of(e, stored[e.id]), note=str(exc)) for e in entries]
        _report(offline, None, args, "")
        raise
    return _report(states, None, args, "")


def _report(
    states: list[SendStates], bare: list[RecipientState] | None, args: argparse.Namespace, what: str
) -> int:
    code = _exit(states, bare)
    if args.json:
        doc: dict[str, Any] = {"sends": [s.as_json() for s in states], "exit_code": int(code)}
        if bare is not None:
            doc["query"] = what
            doc["recipients"] = [r.as_json() for r in bare]
        print(json.dumps(doc, indent=2))
        return code
    for s in states:
        e = s.entry
        print(f"send {e.id}  {e.time}  {e.profile}  {e.subject!r}  ({e.status})")
        if e.status == "failed":
            print(f"  refused by the relay: {e.error or e.reply}")
        elif e.status != "sent":
            print("  the relay's answer never came: it may not have the message")
        for r in s.recipients:
            print(f"  {r.rcpt:<32} {r.describe()}")
    if bare is not None:
        print(f"{what}: {len(bare)} recipient(s)" if bare else f"{what}: no events found")
        for r in bare:
            print(f"  {r.rcpt:<32} {r.describe()}")
    if code == ExitCode.INCOMPLETE and (states or bare):
        print("some recipients have no final state yet (ask again, or use --wait)", file=sys.stderr)
    return code
