"""Sending through the outbox: the one sequence `composer send`, `composer outbox resume`, the
window's Send and its outbox Resend all run.

Under the outbox's sending lock: write (or claim) the items, open the sessions (one per
connection, ``options.connections``), send the exact stored bytes with send_batch, and move
each item through its states and into the history. Written once so that none of the four
callers can forget the lock or a state.

The outbox hears of each result the moment it is known, from the connection's own thread
(``on_settled``); the history and the caller hear of them in input order (``on_result``), so
a report reads in the order of the seed list whatever order the connections finish in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from composer.app.connect import open_sessions
from composer.app.context import Context
from composer.core.build import OutgoingMessage
from composer.core.outcome import BatchReport, MessageResult, Status
from composer.store.outbox import Outbox
from composer.store.outbox_mover import OutboxMover
from composer.transport.batch import Hooks, SendOptions, send_batch
from composer.transport.profiles.store import Profile

__all__ = ["cancelled_items", "deliver"]


def deliver(
    context: Context,
    outbox: Outbox,
    profile: Profile,
    *,
    new: list[OutgoingMessage] | None = None,
    subject: str = "",
    queued_ids: list[int] | None = None,
    options: SendOptions | None = None,
    on_result: Callable[[MessageResult], None] | None = None,
    cancel: threading.Event | None = None,
    new_copies: bool = False,
    **session: Any,
) -> BatchReport:
    """Send ``new`` messages (enqueued here) or the already queued ``queued_ids``.

    ``session`` goes to open_sessions (ca_file, timeout, final_timeout, substitution_data,
    announce). ``options.connections`` defaults to the profile's. ``cancel`` stops between
    messages, ends retry waits and wakes a connect or read before a final "." (never after
    it); the messages it stopped are "cancelled" and stay queued (``cancelled_items``).
    Raises StillInOutbox, before anything is written or sent, when copies of ``new`` are
    still held in the outbox, unless ``new_copies`` (the person chose to send again)."""
    if options is None:
        options = SendOptions(connections=profile.connections)
    with (
        outbox.sending(),
        context.history() as history,
        open_sessions(context, profile, **session) as (where, make_session),
    ):
        # The exact bytes are durable, and "sending", before a session connects (lazily).
        ids = (
            outbox.enqueue(new, profile.name, subject, new_copies=new_copies)
            if new is not None
            else queued_ids or []
        )
        items = outbox.claim(ids)
        mover = OutboxMover(outbox, items)

        def record(result: MessageResult) -> None:
            # The history is of what went to the relay; a cancelled message did not (it
            # waits in the outbox, where the person decides).
            if result.status is not Status.CANCELLED:
                history.record(
                    profile=profile.name,
                    host=where,
                    subject=items[result.index].subject,
                    result=result,
                )
            if on_result is not None:
                on_result(result)

        hooks = Hooks(
            on_result=record,
            on_settled=mover.on_result,
            before_final_reply=mover.before_final_reply,
            before_retry=mover.before_retry,
            cancel=cancel,
        )
        try:
            report = send_batch(
                [i.message() for i in items],
                None,
                options=options,
                hooks=hooks,
                sessions=make_session,
            )
        finally:
            mover.flush()
        report.outbox_ids = [mover.item_id(r.index) for r in report.results]
        return report


def cancelled_items(report: BatchReport) -> list[int]:
    """The outbox ids of the messages a cancel stopped (kept queued until the person says)."""
    ids = report.outbox_ids or []
    return [ids[n] for n, r in enumerate(report.results) if r.status is Status.CANCELLED]
