"""A loopback SMTP server for the reliability suites: it records every delivery and can hold
a reply until the test says go, or SIGKILL the client at a chosen moment."""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import threading
from collections import Counter
from pathlib import Path

import trustme

from support.cli import connection_args
from support.smtp_faults import FaultHandler, FaultServer


class _GatedHandler(FaultHandler):
    """FaultHandler that announces MAIL and end-of-DATA and can hold one of them."""

    gate: tuple[str, int] | None
    kill_at: tuple[str, int] | None
    victim: int | None
    events: queue.Queue[tuple[str, int]]
    release: threading.Event
    seen: Counter[str]

    async def _hold(self, phase: str) -> int:
        self.seen[phase] += 1
        n = self.seen[phase]
        if self.kill_at == (phase, n) and self.victim is not None:
            os.kill(self.victim, signal.SIGKILL)  # at once, on the server's own thread
            self.events.put(("KILLED " + phase, n))
        if self.gate == (phase, n):
            self.events.put(("HELD " + phase, n))
            await asyncio.to_thread(self.release.wait, 60)
        return n

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        await self._hold("MAIL")
        return await super().handle_MAIL(server, session, envelope, address, mail_options)

    async def handle_DATA(self, server, session, envelope):
        reply = await super().handle_DATA(server, session, envelope)  # recorded: it has it
        n = await self._hold("DATA")
        self.events.put(("REPLIED", n))
        return reply


class GatedServer:
    """Plain SMTP on 127.0.0.1 (AUTH LOGIN, no TLS) recording deliveries; ``gate`` holds the
    n-th MAIL or end-of-DATA reply until ``release`` is set; ``kill_at`` SIGKILLs the process
    ``handler.victim`` from the server thread the moment the n-th MAIL or message arrives."""

    def __init__(
        self,
        tmp: Path,
        gate: tuple[str, int] | None = None,
        kill_at: tuple[str, int] | None = None,
        pipelining: bool = False,
    ) -> None:
        self.fault = FaultServer(trustme.CA(), tmp, tls=False, pipelining=pipelining)
        handler = self.fault.handler
        handler.__class__ = _GatedHandler
        handler.gate = gate
        handler.kill_at = kill_at  # SIGKILL ``victim`` from the server at that moment
        handler.victim = None
        handler.events = queue.Queue()
        handler.release = threading.Event()
        handler.seen = Counter()
        self.handler: _GatedHandler = handler  # type: ignore[assignment]
        self.host, self.port = self.fault.host, self.fault.port

    def __enter__(self) -> GatedServer:
        self.fault.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.handler.release.set()
        self.fault.stop()

    def deliveries(self) -> Counter[str]:
        """Kept deliveries per recipient (each seed address is one message)."""
        return Counter(rcpt for r in self.fault.kept() for rcpt in r.rcpt_tos)

    def connection_args(self) -> list[str]:
        return connection_args(self)
