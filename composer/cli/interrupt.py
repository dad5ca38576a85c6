"""Ctrl+C during a send cancels it the way the window's Cancel does.

The first SIGINT sets the send's cancel event: no new message starts, retry waits end, a
connect or a read before a final "." is woken at once, and a message whose final "." has gone
out waits for its reply (within --final-timeout) or is reported "unknown". The messages not
sent are reported "cancelled", stay queued in the outbox (`composer outbox resume` sends them,
`composer outbox discard` forgets them), and the command exits 130 (ExitCode.INTERRUPTED). A
second Ctrl+C stops at once (KeyboardInterrupt): the outbox's recovery keeps that honest too.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["cancel_on_sigint"]


@contextmanager
def cancel_on_sigint() -> Iterator[threading.Event]:
    cancel = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield cancel  # signals reach the main thread only (a test calling main() in a thread)
        return

    def on_sigint(_signum: int, _frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        print(
            "cancelling: no new message starts; a message already ended waits for its reply "
            "(Ctrl+C again to stop at once)",
            file=sys.stderr,
        )

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)
