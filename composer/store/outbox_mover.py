"""Moves a batch's outbox items through their states as ``batch.send_batch`` reports on them:
its ``before_final_reply``, ``before_retry`` and ``on_settled`` go into the batch's Hooks.

Called from several sending threads at once (one per connection), so every method is
thread-safe, and the commit that must precede each final "." is a *group commit*: a thread
that needs "awaiting" on disk joins the group being gathered; one thread (the first to find
no commit running) writes the whole group in one transaction, one sync to disk, and wakes the
others. Under load the connections' final dots ride on one fsync instead of one each; alone,
a thread commits at once, exactly as before.
"""

from __future__ import annotations

import threading

from composer.core.build import OutgoingMessage
from composer.core.outcome import MessageResult, Status
from composer.store.outbox import Outbox
from composer.store.outbox_items import OutboxItem


class OutboxMover:
    """Moves ``items`` (sent in this order by send_batch) through their states; ``flush``
    runs once the batch ends, whatever happened.

    One synchronous commit per group of final dots, not two per message: a "sent" is not
    written on its own but in the same transaction as the next "awaiting" (or by ``flush``).
    The "awaiting" must be on disk before the final "." — that is what keeps a crash from ever
    sending a message twice; a "sent" may wait, because if the process dies before it is
    written the item is left "awaiting" and recovery calls it "unknown": the honest,
    never-resent side. Other outcomes (failed, unknown, queued again) are rare and written at
    once.

    (Tried and measured: starting the "awaiting" commit on a helper thread so the disk's sync
    overlaps MAIL/RCPT/DATA. It was slower — the GIL hand-offs cost more than the sync — so the
    commit stays on a sending thread.)"""

    def __init__(self, outbox: Outbox, items: list[OutboxItem]) -> None:
        self._outbox = outbox
        self._by_index = {i: item.id for i, item in enumerate(items)}
        self._by_mid = {item.message_id: item.id for item in items}
        self._sent: list[tuple[int, str]] = []
        self._cv = threading.Condition()
        self._gathering: set[int] = set()  # want "awaiting" in the next commit
        self._committing = False
        self._in_flight: set[int] = set()  # in the commit being written now
        self._failed: dict[int, BaseException] = {}  # a commit that raised, per item
        self.commits = 0  # transactions written for final dots (for tests and benchmarks)

    def before_final_reply(self, message: OutgoingMessage) -> None:
        """Return only once this item is "awaiting" on disk; raise if that commit failed
        (the caller then never writes the final ".")."""
        item_id = self._by_mid[message.message_id]
        with self._cv:
            self._gathering.add(item_id)
            while True:
                if item_id in self._failed:
                    raise self._failed.pop(item_id)
                if item_id not in self._gathering and not self._committing_for(item_id):
                    return
                if not self._committing:
                    break  # lead the next group (which holds this item)
                self._cv.wait()
            group, self._gathering = self._gathering, set()
            self._in_flight = group
            self._committing = True
            sent = self._take()
        error: BaseException | None = None
        try:
            self._outbox.advance(sorted(group), sent)
        except BaseException as exc:  # disk full, damaged file: every item of the group
            error = exc
        with self._cv:
            self.commits += 1
            self._committing = False
            self._in_flight = set()
            if error is not None:
                for other in group:
                    self._failed[other] = error
            self._cv.notify_all()
            if error is not None:
                raise self._failed.pop(item_id)

    def _committing_for(self, item_id: int) -> bool:
        return self._committing and item_id in self._in_flight

    def before_retry(self, message: OutgoingMessage, reason: str) -> None:
        """The server clearly refused for now and the batch waits to retry: no longer
        "awaiting" (a kill during the wait must leave it requeued, not "unknown")."""
        self._outbox.mark_retrying(self._by_mid[message.message_id], reason)

    def on_result(self, result: MessageResult) -> None:
        item_id = self._by_index[result.index]
        if Status(result.status) is Status.SENT:
            with self._cv:
                self._sent.append((item_id, f"{result.code or ''} {result.reply}".strip()))
        else:
            self._outbox.record(item_id, result)

    def item_id(self, index: int) -> int:
        return self._by_index[index]

    def flush(self) -> None:
        with self._cv:
            sent = self._take()
        if sent:
            self._outbox.advance(None, sent)

    def _take(self) -> list[tuple[int, str]]:
        sent, self._sent = self._sent, []
        return sent
