"""Where the local relay's endpoints put what they accept: fan-out, Maildir, sandbox allowance.

The SMTP server (server.py) and the HTTP Transmissions endpoint (http.py) both end here, so a
message gets the same copies and headers whichever road it came by, and the sandbox count is
one count per Maildir even when both endpoints serve it from one process (``composer relay
--http-port``). The lock covers count, delivery and save together: the HTTP endpoint runs one
thread per request.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path

from composer.core.relay_facts import SANDBOX_ALLOWANCE
from composer.relay.events import EventLog
from composer.relay.fanout import Copy, Request, build_copies, describe
from composer.relay.maildir import deliver
from composer.store.atomic import atomic_write_text

__all__ = ["SANDBOX_COUNT_FILE", "Sink", "new_transmission_id"]

log = logging.getLogger("composer.relay")

SANDBOX_COUNT_FILE = ".sandbox-count.json"  # inside the Maildir root, so it goes with it


def new_transmission_id() -> str:
    """18 decimal digits, no leading zero: what SparkPost's transmission ids look like."""
    return str(10**17 + secrets.randbelow(9 * 10**17))


class Sink:
    def __init__(self, maildir: Path, sandbox_limit: int = SANDBOX_ALLOWANCE) -> None:
        self.maildir = Path(maildir)
        self.sandbox_limit = sandbox_limit
        self._lock = threading.Lock()
        self._count = self._load_count()
        self.events = EventLog(self.maildir)  # what became of each copy (issue 18)

    @property
    def sandbox_count(self) -> int:
        """Messages sent with ``options.sandbox`` so far (persisted beside the mail)."""
        return self._count

    @property
    def _count_file(self) -> Path:
        return self.maildir / SANDBOX_COUNT_FILE

    def _load_count(self) -> int:
        try:
            value = json.loads(self._count_file.read_text(encoding="utf-8"))["sandbox_messages"]
        except FileNotFoundError:
            return 0
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("%s is unreadable; counting from 0", self._count_file)
            return 0
        return value if isinstance(value, int) and value >= 0 else 0

    def _save_count(self, count: int) -> None:
        self._count = count
        try:
            atomic_write_text(self._count_file, json.dumps({"sandbox_messages": count}) + "\n")
        except OSError as exc:
            # the mail is delivered already; a lost count must not turn that into a failure
            log.warning("cannot save the sandbox count in %s: %s", self._count_file, exc)

    def accept(
        self, request: Request, mail_from: str, rcpt_tos: Sequence[str]
    ) -> tuple[str, list[Copy]]:
        """Fan out and deliver one message: (transmission id, the copies). Raises
        MsysRejection (nothing delivered) or OSError (nothing left behind)."""
        transmission_id = new_transmission_id()
        with self._lock:
            count = self._count + 1
            extra: list[tuple[str, str]] = []
            if request.sandbox and count > self.sandbox_limit:
                note = f"over the sandbox allowance of {self.sandbox_limit} (count {count})"
                extra.append(("X-Relay-Sandbox-Note", note))
            copies = build_copies(
                request, mail_from, rcpt_tos, transmission_id, extra_headers=extra
            )
            deliver(self.maildir, copies)
            if request.sandbox:
                self._save_count(count)  # counted once delivered, so a retry counts once
            self.events.record(request, mail_from, copies, transmission_id)
        log.info(
            "transmission %s delivered as %d copies (%s)",
            transmission_id,
            len(copies),
            describe(copies),
        )
        return transmission_id, copies
