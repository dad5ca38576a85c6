"""The local relay: an aiosmtpd server that speaks like the SparkPost / Bird SMTP relay and
delivers every copy into a Maildir, so the whole send path can be tried with no account.

Choices that follow the relay's documentation (seeds/000, 001) and research/reliability.md §3:
AUTH LOGIN only (``SMTP_Injection`` as the user, any non-empty password); STARTTLS required
when a certificate is given; no SMTPUTF8 (the relay does not document it); failed AUTH
answered 535 (``handled=False``: with ``True`` aiosmtpd sends no reply and the client hangs).

What a client may cost it (limits.py): a message of at most 20 MB (``SIZE`` in EHLO, 552 past
it), one minute of silence (the documented idle drop), and the DATA phase as a whole within the
same minute however slowly it drips (aiosmtpd resets its timer on commands only), and 8
sessions at once (421 to the next). DATA is
gathered in one buffer: aiosmtpd keeps each line as its own object, so 8 MB of empty lines
took 690 MB.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import (
    MISSING,
    SMTP,
    AuthResult,
    Envelope,
    LoginPassword,
    Session,
    TLSSetupException,
)

from composer.core.hosts import is_loopback
from composer.core.relay_facts import SANDBOX_ALLOWANCE
from composer.relay import limits
from composer.relay.fanout import MsysRejection, envelope_address_ok, parse_request
from composer.relay.maildir import ensure_maildir
from composer.relay.sink import SANDBOX_COUNT_FILE, Sink, new_transmission_id

__all__ = ["SANDBOX_COUNT_FILE", "TEMP_FAILURE", "LocalRelay", "new_transmission_id"]

log = logging.getLogger("composer.relay")

TEMP_FAILURE = "451 4.3.0 local relay error"
_USER_PREFIX = b"SMTP_Injection"


def _authenticate(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        mechanism == "LOGIN"
        and isinstance(auth_data, LoginPassword)
        and auth_data.login.startswith(_USER_PREFIX)
        and bool(auth_data.password)
    )
    # The user name is logged (it is no secret); the password never is.
    user = auth_data.login[:80].decode("ascii", "replace") if ok else "(refused)"
    log.info("AUTH %s for %s", "accepted" if ok else "refused", user)
    return AuthResult(success=ok, handled=False, auth_data=None)


@dataclass
class _Slots:
    """Sessions served at once; touched only on the server's event loop, so no lock."""

    limit: int
    active: int = 0


class _RelaySMTP(SMTP):
    slots: _Slots

    async def _handle_client(self) -> None:
        # each session may hold a message of up to 20 MB in memory: so many and no more
        if self.slots.active >= self.slots.limit:
            await self.push("421 4.3.2 the local relay is serving too many connections; try again")
            if self.transport is not None:
                self.transport.close()
            return
        self.slots.active += 1
        try:
            await super()._handle_client()
        finally:
            self.slots.active -= 1

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, with the message gathered into one bytearray (its own keeps a
        bytearray per line, ~60 bytes of overhead each) and the same replies: 552 past the
        size limit, 500 for a line over 1000 octets, both only once the client's "." came."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        data = bytearray()
        limit = self.data_size_limit
        refusal = ""
        line_len = 0  # of the line being read, across the pieces of an overlong one
        while True:
            if self.transport is None:
                return
            try:
                piece = await self._reader.readuntil(b"\r\n")
            except asyncio.CancelledError:
                log.info("connection lost during DATA")
                self._writer.close()
                raise
            except asyncio.LimitOverrunError as exc:
                piece = await self._reader.read(exc.consumed)
            if line_len == 0 and piece == b".\r\n":
                break
            if not refusal:
                if limit and len(data) + len(piece) > limit:
                    refusal = "552 5.3.4 Error: Too much mail data"
                elif line_len + len(piece) > self.line_length_limit:
                    refusal = "500 Line too long (see RFC5321 4.5.3.1.6)"
                if refusal:
                    data = bytearray()  # let the memory go now, not at the "."
                else:
                    # RFC 5321 4.5.2: a leading dot of a line was doubled by the client
                    data += piece[1:] if line_len == 0 and piece[:1] == b"." else piece
            line_len = 0 if piece.endswith(b"\r\n") else line_len + len(piece)
        if refusal:
            self._set_post_data_state()
            await self.push(refusal)
            return
        self.envelope.content = self.envelope.original_content = bytes(data)
        del data
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)


class _Controller(Controller):
    """Serves on a socket we bound ourselves: the port is known (and held) before the
    thread starts, so port 0 has no bind-close-rebind race and "in use" fails at once."""

    def __init__(
        self, handler: Any, sock: socket.socket, max_connections: int, **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        self._sock = sock
        self.slots = _Slots(max_connections)

    def factory(self) -> SMTP:
        server = _RelaySMTP(self.handler, **self.SMTP_kwargs)
        server.slots = self.slots
        return server

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


class _Handler:
    def __init__(self, relay: LocalRelay) -> None:
        self._relay = relay

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._relay.require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        if not envelope_address_ok(address):
            return "553 5.1.7 invalid sender address"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not envelope_address_ok(address) or "@" not in address:
            return "553 5.1.3 invalid recipient address"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        try:
            data = envelope.original_content or b""
            return self._relay._accept(envelope.mail_from or "", list(envelope.rcpt_tos), data)
        except Exception as exc:
            # a bug, not the client's fault: one line, the traceback only with --debug
            log.error("a message could not be handled: %r", exc,
                      exc_info=log.isEnabledFor(logging.DEBUG))  # fmt: skip
            return TEMP_FAILURE

    async def handle_exception(self, error: Exception) -> str:
        if isinstance(error, TLSSetupException):
            # a client that does not trust the certificate: its problem, not a relay fault
            log.info("STARTTLS handshake failed: %s", error.__cause__ or error)
        else:
            log.error("session error: %r", error, exc_info=log.isEnabledFor(logging.DEBUG))
        return TEMP_FAILURE


class LocalRelay:
    """An SMTP server on a loopback address that behaves like the relay's SMTP API."""

    def __init__(
        self,
        maildir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        tls_cert: Path | None = None,
        tls_key: Path | None = None,
        allow_remote: bool = False,
        require_auth: bool = False,
        sandbox_limit: int = SANDBOX_ALLOWANCE,
        idle_timeout: float = limits.IDLE_TIMEOUT,
        max_message: int = limits.MAX_MESSAGE,
        max_connections: int = limits.MAX_CONNECTIONS,
        sink: Sink | None = None,  # shared with the HTTP endpoint of the same Maildir
    ) -> None:
        if not allow_remote and not is_loopback(host):
            raise ValueError(
                f"refusing to listen on {host!r}: the local relay accepts mail from anyone "
                "who can reach it, so it listens only on a loopback address (127.0.0.1, ::1, "
                "localhost) unless remote access is allowed explicitly"
            )
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is not between 0 and 65535")
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("a TLS certificate and its key go together: give both or neither")
        self.maildir = Path(maildir)
        self.host = "127.0.0.1" if host.lower() == "localhost" else host.strip("[]")
        self.port = port
        self.require_auth = require_auth
        self.idle_timeout = idle_timeout
        self.max_message = max_message
        self.max_connections = max_connections
        self._tls: ssl.SSLContext | None = None
        if tls_cert is not None and tls_key is not None:
            # Loaded now so that a bad file is reported before anything listens.
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(str(tls_cert), str(tls_key))
        self._controller: _Controller | None = None
        self.sink = sink or Sink(self.maildir, sandbox_limit)

    # --- lifecycle ----------------------------------------------------------------------

    @property
    def tls(self) -> bool:
        return self._tls is not None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        """Bind and serve in a background thread. Raises OSError when the port is taken."""
        if self._controller is not None:
            raise RuntimeError("the local relay is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.create_server((self.host, self.port), family=family)
        controller: _Controller | None = None
        try:
            self.port = sock.getsockname()[1]
            ensure_maildir(self.maildir)  # after the bind: a relay that cannot start leaves nothing
            controller = _Controller(
                _Handler(self),
                sock,
                self.max_connections,
                hostname=self.host,
                port=self.port,
                server_hostname="localhost",
                ident="Composer local relay",
                enable_SMTPUTF8=False,
                tls_context=self._tls,
                require_starttls=self._tls is not None,
                auth_require_tls=self._tls is not None,
                auth_exclude_mechanism=["PLAIN"],
                authenticator=_authenticate,
                timeout=self.idle_timeout,
                data_size_limit=self.max_message,
                command_call_limit=dict(limits.COMMAND_LIMITS),
            )
            controller.start()
        except BaseException:
            sock.close()
            if controller is not None and controller._thread is not None:
                with contextlib.suppress(Exception):
                    controller.stop(no_assert=True)
            raise
        self._controller = controller
        log.debug("listening on %s:%d", self.host, self.port)

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            sock = controller._sock
            controller.stop()
            sock.close()
            log.debug("stopped")

    def __enter__(self) -> LocalRelay:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- sandbox allowance --------------------------------------------------------------

    @property
    def sandbox_limit(self) -> int:
        return self.sink.sandbox_limit

    @property
    def sandbox_count(self) -> int:
        """Messages sent with ``options.sandbox`` so far (persisted beside the mail)."""
        return self.sink.sandbox_count

    # --- one message ----------------------------------------------------------------------

    def _accept(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> str:
        """Fan out and deliver; the SMTP reply. Runs on the server's thread."""
        try:
            request = parse_request(data)
            transmission_id, copies = self.sink.accept(request, mail_from, rcpt_tos)
        except MsysRejection as rejection:
            log.info("message refused: %s", rejection.reply)
            return rejection.reply
        return f"250 2.0.0 OK {len(copies)} message(s) queued as {transmission_id}"
