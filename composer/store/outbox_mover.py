"""Moves a batch's outbox items through their states as ``batch.send_batch`` reports on them:
its ``before_final_reply`` and ``on_result`` go into the batch's Hooks."""

from __future__ import annotations

from composer.core.build import OutgoingMessage
from composer.core.outcome import MessageResult, Status
from composer.store.outbox import Outbox
from composer.store.outbox_items import OutboxItem


class OutboxMover:
    """Moves ``items`` (sent in this order by send_batch) through their states; its
    ``before_final_reply`` and ``on_result`` go into batch.Hooks, and ``flush`` runs once the
    batch ends, whatever happened.

    One synchronous commit per message, not two: a "sent" is not written on its own but in the
    same transaction as the next message's "awaiting" (or by ``flush``). The "awaiting" must be
    on disk before the final "." — that is what keeps a crash from ever sending a message
    twice; a "sent" may wait, because if the process dies before it is written the item is left
    "awaiting" and recovery calls it "unknown": the honest, never-resent side. Other outcomes
    (failed, unknown, queued again) are rare and written at once.

    (Tried and measured: starting the "awaiting" commit on a helper thread so the disk's sync
    overlaps MAIL/RCPT/DATA. It was slower — the GIL hand-offs cost more than the sync — so the
    commit stays on the sending thread.)"""

    def __init__(self, outbox: Outbox, items: list[OutboxItem]) -> None:
        self._outbox = outbox
        self._by_index = {i: item.id for i, item in enumerate(items)}
        self._by_mid = {item.message_id: item.id for item in items}
        self._sent: list[tuple[int, str]] = []

    def before_final_reply(self, message: OutgoingMessage) -> None:
        self._outbox.advance(self._by_mid[message.message_id], self._take())

    def before_retry(self, message: OutgoingMessage, reason: str) -> None:
        """The server clearly refused for now and the batch waits to retry: no longer
        "awaiting" (a kill during the wait must leave it requeued, not "unknown")."""
        self._outbox.mark_retrying(self._by_mid[message.message_id], reason)

    def on_result(self, result: MessageResult) -> None:
        item_id = self._by_index[result.index]
        if Status(result.status) is Status.SENT:
            self._sent.append((item_id, f"{result.code or ''} {result.reply}".strip()))
        else:
            self._outbox.record(item_id, result)

    def flush(self) -> None:
        if self._sent:
            self._outbox.advance(None, self._take())

    def _take(self) -> list[tuple[int, str]]:
        sent, self._sent = self._sent, []
        return sent
