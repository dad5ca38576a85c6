"""Recovery never re-queues the items of a process that is still sending."""

from __future__ import annotations

from pathlib import Path

from composer.core.build import build_messages
from composer.core.draft import Draft, Recipient
from composer.store.outbox import Outbox


def test_recovery_waits_for_living_senders(tmp_path: Path) -> None:
    draft = Draft(
        from_addr=Recipient("ann@example.com"),
        subject="x",
        body="y",
        to=[Recipient("bob@example.com")],
    )
    path = tmp_path / "outbox.sqlite3"
    sender, other = Outbox(path), Outbox(path)
    try:
        with sender.sending():
            (item,) = sender.claim(sender.enqueue(build_messages(draft), "local", "x"))
            sender.mark_awaiting(item.id)
            # Another process starting now (the window, `composer outbox`) must leave it be.
            assert other.recover_on_start() == (0, 0)
            assert other.get(item.id).state == "awaiting"
        # The sender died without finishing: now recovery may judge the item.
        assert other.recover_on_start() == (0, 1)
        assert other.get(item.id).state == "unknown"
    finally:
        sender.close()
        other.close()
