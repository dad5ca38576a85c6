"""A real SMTP server for the session tests: aiosmtpd on 127.0.0.1 with STARTTLS (trustme
certificates) and AUTH LOGIN, and faults it injects on request.

Faults are scripted per phase: ``server.script("DATA", "451 4.3.0 busy", times=2)`` makes the
next two end-of-DATA replies 451. Special actions: ``"drop"`` (close the connection without a
reply; at DATA the message has been received first), ``"slow:<seconds>"`` (reply late).
Every message that reached the end of DATA is recorded, whatever the reply, so a test can
count what the server received (duplicates included).
"""

from __future__ import annotations

import asyncio
import email
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from support.net import free_port, tls_server_context

USER = "SMTP_Injection"
GOOD_KEY = "test-key-3f9a"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    # False when the server refused it at end of DATA; True when it said 250, or when it had
    # the whole message and then dropped or stalled (it may have delivered it).
    kept: bool = True

    @property
    def message_id(self) -> str:
        return str(email.message_from_bytes(self.data, policy=policy.default)["Message-ID"])


@dataclass
class FaultHandler:
    received: list[Received] = field(default_factory=list)
    scripts: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    rcpt_faults: dict[str, str] = field(default_factory=dict)  # address -> reply
    logins: list[str] = field(default_factory=list)
    # Advertise PIPELINING (RFC 2920) after EHLO, as production MTAs do. aiosmtpd reads the
    # commands from its stream one after another, so it takes pipelined groups as they are.
    pipelining: bool = False

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

    def _next(self, phase: str) -> str | None:
        queue = self.scripts[phase]
        return queue.popleft() if queue else None

    async def _act(self, server: SMTP, action: str | None) -> str | None:
        if action is None:
            return None
        if action == "drop":
            server.transport.close()
            return "250 never seen"
        if action.startswith("slow:"):
            await asyncio.sleep(float(action.split(":", 1)[1]))
            return "250 2.0.0 OK (late)"
        return action

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = await self._act(server, self._next("MAIL"))
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt_faults:
            return self.rcpt_faults[address]
        reply = await self._act(server, self._next("RCPT"))
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        action = self._next("DATA")
        refused = action is not None and action[:1] in ("4", "5")
        self.received.append(
            Received(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                kept=not refused,
            )
        )
        reply = await self._act(server, action)
        return reply or "250 2.0.0 OK queued as 123456789012345678"


def authenticator(handler: FaultHandler):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode()
            handler.logins.append(mechanism)
            ok = login.startswith(USER) and auth_data.password.decode() == GOOD_KEY
            # handled=False: otherwise aiosmtpd sends no 535 and the client hangs
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)

    return check


class _SMTP(SMTP):
    """Counts connections, can refuse STARTTLS with 454."""

    def __init__(self, *args, owner: FaultServer, **kwargs):
        super().__init__(*args, **kwargs)
        self._owner = owner

    # Counted at the first EHLO, not at connect: Controller.start() opens a probe connection.
    async def smtp_EHLO(self, hostname):
        if not getattr(self, "_counted", False):
            self._counted = True
            self._owner.connections += 1
        await super().smtp_EHLO(hostname)

    # Each client's session, counted while it runs (its handler task: it may still work
    # through what a killed client had already sent), so a test can wait for the server to
    # settle before it counts deliveries.
    async def _handle_client(self):
        with self._owner.lock:
            self._owner.live += 1
        try:
            await super()._handle_client()
        finally:
            with self._owner.lock:
                self._owner.live -= 1
            self._owner.settled.set()

    # After STARTTLS, connection_lost goes to the TLS wrapper, not here: hook the idle
    # timeout itself, which is what closes an idle connection.
    def _timeout_cb(self):
        super()._timeout_cb()
        self._owner.closed.set()

    async def smtp_STARTTLS(self, arg):
        if self._owner.refuse_starttls:
            await self.push("454 4.7.0 TLS not available due to temporary reason")
            return
        await super().smtp_STARTTLS(arg)


class _Controller(Controller):
    def __init__(self, owner: FaultServer, **kwargs):
        self._fault_owner = owner
        super().__init__(owner.handler, **kwargs)

    def factory(self):
        return _SMTP(self.handler, owner=self._fault_owner, **self.SMTP_kwargs)


class FaultServer:
    def __init__(
        self,
        ca: trustme.CA,
        tmp: Path,
        *,
        tls: bool = True,
        cert_hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
        idle_timeout: float = 300,
        offer_plain: bool = False,
        pipelining: bool = False,
    ) -> None:
        self.handler = FaultHandler(pipelining=pipelining)
        self.connections = 0
        self.live = 0  # client sessions still being handled (see _SMTP._handle_client)
        self.lock = threading.Lock()
        self.settled = threading.Event()  # set each time a session's handling ends
        self.closed = threading.Event()
        self.refuse_starttls = False
        self.host = "127.0.0.1"
        self.port = free_port()
        self.ca_file = tmp / "ca.pem"
        ca.cert_pem.write_to_path(self.ca_file)
        kwargs: dict = dict(
            hostname=self.host,
            port=self.port,
            authenticator=authenticator(self.handler),
            auth_exclude_mechanism=[] if offer_plain else ["PLAIN"],
            enable_SMTPUTF8=False,
            timeout=idle_timeout,
        )
        if tls:
            ctx = tls_server_context(ca, cert_hosts)
            kwargs.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
        else:
            kwargs.update(auth_require_tls=False)
        self.controller = _Controller(self, **kwargs)

    def script(self, phase: str, reply: str, times: int = 1) -> None:
        self.handler.scripts[phase].extend([reply] * times)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def duplicates(self) -> int:
        """Copies a recipient may have got more than once (kept receptions only)."""
        counts = Counter(
            (r.message_id, rcpt) for r in self.received if r.kept for rcpt in r.rcpt_tos
        )
        return sum(n - 1 for n in counts.values())

    def wait_settled(self, within: float = 10.0) -> bool:
        """Wait (bounded) until no client session is being handled any more."""
        end = time.monotonic() + within
        while True:
            with self.lock:
                if self.live == 0:
                    return True
                self.settled.clear()
            left = end - time.monotonic()
            if left <= 0 or not self.settled.wait(left):
                return False

    def kept(self) -> list[Received]:
        return [r for r in self.received if r.kept]

    def start(self) -> FaultServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
