"""Sending through the outbox: the one sequence `composer send`, `composer outbox resume`, the
window's Send and its outbox Resend all run.

Under the outbox's sending lock: write (or claim) the items, open the session, send the exact
stored bytes with send_batch, and move each item through its states and into the history.
Written once so that none of the four callers can forget the lock or a state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from composer.app.connect import open_session
from composer.app.context import Context
from composer.core.build import OutgoingMessage
from composer.core.outcome import BatchReport, MessageResult
from composer.store.outbox import Outbox
from composer.store.outbox_mover import OutboxMover
from composer.transport.batch import Hooks, SendOptions, send_batch
from composer.transport.profiles.store import Profile

__all__ = ["deliver"]


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

    ``session`` goes to open_session (ca_file, timeout, final_timeout, substitution_data).
    ``cancel`` stops between messages and during retry waits. Raises StillInOutbox, before
    anything is written or sent, when copies of ``new`` are still held in the outbox, unless
    ``new_copies`` (the person chose to send again)."""
    with (
        outbox.sending(),
        context.history() as history,
        open_session(context, profile, **session) as (where, sess),
    ):
        # The exact bytes are durable, and "sending", before the session connects (lazily).
        ids = (
            outbox.enqueue(new, profile.name, subject, new_copies=new_copies)
            if new is not None
            else queued_ids or []
        )
        items = outbox.claim(ids)
        mover = OutboxMover(outbox, items)

        def record(result: MessageResult) -> None:
            mover.on_result(result)
            history.record(
                profile=profile.name, host=where, subject=items[result.index].subject, result=result
            )
            if on_result is not None:
                on_result(result)

        hooks = Hooks(
            on_result=record,
            before_final_reply=mover.before_final_reply,
            before_retry=mover.before_retry,
        )
        if cancel is not None:
            hooks.cancelled, hooks.wait = cancel.is_set, cancel.wait
        try:
            return send_batch(
                [i.message() for i in items], None, options=options, hooks=hooks, session=sess
            )
        finally:
            mover.flush()
