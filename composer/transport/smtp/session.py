"""One SMTP connection to the relay, driven phase by phase.

``smtplib.sendmail()`` cannot say *where* it failed, and the difference matters: a failure
before the final ``.`` is safe to retry, one after it may mean the relay has the message
(research/reliability.md §2.4). So the session drives MAIL, RCPT, DATA and the final reply
itself, and reports an error after the final ``.`` as ``OutcomeUnknown``, never as retryable.

Rules the relay documents (seeds/000): STARTTLS then AUTH LOGIN, at least 60 s per command,
at most 100 messages per connection, idle connections dropped after a minute. No AUTH and no
DATA ever cross a connection that is not encrypted and verified, except ``tls=False`` on a
loopback host (the local relay).

Every reply is read by wire.BoundedSMTP: one deadline for the whole reply, capped in lines
and bytes, well formed or refused. After the final "." the rule is (issue 12): 2xx sent, a
well-formed 4xx may be retried, 5xx failed, anything else (garbage, 1xx, 999, a drop, a
timeout, an endless reply) unknown. Before it, a peer that breaks the protocol fails the
message without a retry (PeerProtocolError): nothing was sent, and asking again would only
meet the same.

This file opens and keeps the connection (ports, TLS, the handshake, reuse); the message itself
(MAIL, RCPT, DATA, the final reply) is transaction.py's half of the same session.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from composer.core.build import OutgoingMessage
from composer.core.errors import (
    ConnectError,
    PeerProtocolError,
    SetupFailed,
    TLSError,
    TransientError,
    TransportError,
)
from composer.core.hosts import is_loopback
from composer.transport.base import (
    Delivery,
    connect_error,
    scrub_delivery,
    scrub_error,
    secret_forms,
    tls_context,
    tls_error,
)
from composer.transport.resolve import AddrInfo, resolve
from composer.transport.smtp.auth import login
from composer.transport.smtp.replies import check_class, protocol_error, reply_error, reply_text
from composer.transport.smtp.transaction import MessageTransaction
from composer.transport.smtp.wire import (
    BoundedSMTP,
    ReplyError,
    quietly_close,
    reply_class,
)

# The class has a ``socket`` property, which hides the module inside its body.
Socket = socket.socket
log = logging.getLogger(__name__)

MAX_PER_CONNECTION = 100
IDLE_RECONNECT = 50.0  # the relay drops idle connections at 60 s: don't reuse one near that


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int = 587
    # Tried when `port` cannot be reached (the relay's documented 2525), never without TLS:
    # profiles/store.py decides when a fallback is allowed at all (issue 12).
    fallback_port: int | None = None
    tls: bool = True
    ca_file: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 60.0  # per command
    final_timeout: float = 600.0  # for the reply to the final "."

    def __post_init__(self) -> None:
        if not self.tls and not is_loopback(self.host):
            raise TLSError(
                f"refusing to send to {self.host} without TLS: --no-tls is only for loopback hosts"
            )


class SmtpSession(MessageTransaction):
    """A reusable connection. Not thread-safe: one send path owns it; only ``interrupt``
    (base.Interruptible) may be called from another thread."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        max_per_connection: int = MAX_PER_CONNECTION,
        idle_reconnect: float = IDLE_RECONNECT,
        clock: Callable[[], float] = time.monotonic,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self.endpoint = endpoint
        # Told, in one line, which host:port a connection went to: once, and again only if a
        # later connection lands elsewhere (the fallback port).
        self._announce = announce
        self._announced: int | None = None
        self.max_per_connection = max_per_connection
        self.idle_reconnect = idle_reconnect
        self._clock = clock
        self._smtp: BoundedSMTP | None = None
        self._sent_on_connection = 0
        self._last_used = 0.0
        self.connections_opened = 0
        self.port_used: int | None = None
        self._init_interrupt()

    # --- connection ---------------------------------------------------------------------

    def _open(self, port: int, addresses: list[AddrInfo]) -> BoundedSMTP:
        ep = self.endpoint
        smtp = BoundedSMTP(
            timeout=ep.timeout, reply_timeout=ep.timeout, on_socket=self._watch, addresses=addresses
        )
        try:
            smtp.connect(ep.host, port)
            # The final "." goes out as its own small write after the outbox commit; with
            # Nagle's algorithm it waits for the peer's delayed ACK, and every reply after it
            # trails by ~10 ms (measured: 500 messages took 24 s instead of 2).
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return smtp
        except BaseException:
            quietly_close(smtp, polite=False)
            raise

    def _connect_one(self, port: int, addresses: list[AddrInfo]) -> BoundedSMTP:
        """Only a connection that could not be made at all is a ConnectError (the one failure
        that moves on to the fallback port); a bad greeting is the server's."""
        ep = self.endpoint
        try:
            return self._open(port, addresses)
        except ReplyError as exc:
            if exc.hostile:
                raise protocol_error(f"{ep.host}:{port}", "the greeting", str(exc)) from exc
            raise TransientError(f"{ep.host}:{port} sent no greeting: {exc}") from exc
        except smtplib.SMTPConnectError as exc:
            if reply_class(exc.smtp_code) is None:
                what = f"{exc.smtp_code} {reply_text(exc.smtp_error)}"
                raise protocol_error(f"{ep.host}:{port}", "the greeting", what) from exc
            raise TransientError(
                f"{ep.host}:{port} answered but refused the connection ({exc.smtp_code})",
                exc.smtp_code,
                reply_text(exc.smtp_error),
            ) from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise TransientError(f"{ep.host}:{port} closed the connection at once") from exc
        except OSError as exc:
            raise connect_error(ep.host, port, exc) from exc

    # --- the edge: server text leaves the session only cleaned -------------------------

    def _secrets(self) -> list[str]:
        return secret_forms(self.endpoint.password or "")

    def connect(self) -> None:
        """Connect, upgrade to verified TLS, authenticate. Each step's failure says which."""
        try:
            self._connect()
        except TransportError as exc:
            # Some servers echo what they were sent (the key, in its AUTH LOGIN base64 too),
            # and any may send control characters: cleaned here, once, for every caller.
            scrub_error(exc, self._secrets())
            raise

    def send(
        self,
        message: OutgoingMessage,
        *,
        rcpt_to: tuple[str, ...] | None = None,
        before_final_reply: Callable[[], None] | None = None,
    ) -> Delivery:
        """Send one message. ``before_final_reply`` runs just before the final "." is written,
        so before its reply is read (the outbox commits "awaiting final reply" there).

        Raises TransientError / RelayRefused / AuthFailed (safe: the relay has not accepted
        the message) or OutcomeUnknown (it may have). The server's text in the answer and in
        any error is cleaned of the key and of control characters."""
        try:
            return scrub_delivery(self._send(message, rcpt_to, before_final_reply), self._secrets())
        except TransportError as exc:
            scrub_error(exc, self._secrets())
            raise

    def _connect(self) -> None:
        self.close()
        ep = self.endpoint
        # Never a second port without TLS: the key would go in the clear to whatever
        # listens there (issue 12).
        fallback = [ep.fallback_port] if ep.fallback_port and ep.tls else []
        ports = [ep.port, *fallback]
        # Once, under the command timeout, for both ports: a name that cannot be looked up is
        # not a port that cannot be reached (ConnectError here, no fallback).
        addresses = resolve(ep.host, ep.port, ep.timeout, stop=lambda: self.interrupted)
        smtp = None
        for i, port in enumerate(ports):
            self._check_interrupted()
            try:
                smtp = self._connect_one(port, addresses)
                self.port_used = port
                break
            except ConnectError:
                if i == len(ports) - 1:
                    raise
                log.info("port %s unreachable, trying %s", port, ports[i + 1])
            except TransientError as exc:
                raise SetupFailed.of(exc) from exc
        assert smtp is not None
        if self._announce is not None and self._announced != self.port_used:
            moved = self.port_used != ep.port
            note = f" ({ep.host}:{ep.port} could not be reached)" if moved else ""
            self._announce(f"SMTP: connected to {ep.host}:{self.port_used}{note}")
            self._announced = self.port_used
        try:
            self._handshake(smtp)
        except BaseException as exc:
            quietly_close(smtp, polite=not isinstance(exc, PeerProtocolError))
            if type(exc) is TransientError:
                raise SetupFailed.of(exc) from exc
            raise
        self._smtp = smtp
        self._sent_on_connection = 0
        self._last_used = self._clock()
        self.connections_opened += 1

    def _handshake(self, smtp: BoundedSMTP) -> None:
        ep = self.endpoint
        try:
            self._ehlo(smtp)
            if ep.tls:
                if not smtp.has_extn("starttls"):
                    raise TLSError(
                        f"{ep.host} does not offer STARTTLS; refusing to send the key or the "
                        "message unencrypted"
                    )
                code, msg = smtp.docmd("STARTTLS")
                if code != 220:
                    raise TLSError(f"{ep.host} refused STARTTLS: {code} {reply_text(msg)}")
                if smtp.pending_bytes:
                    # Bytes sent with the 220, before the handshake, would be read as if they
                    # had come over TLS (the STARTTLS injection, CVE-2011-0411).
                    raise TLSError(
                        f"{ep.host} sent data after its STARTTLS reply, before TLS began; "
                        "refusing the connection"
                    )
                assert smtp.sock is not None  # connected: _open returned it
                smtp.sock = tls_context(ep.ca_file).wrap_socket(smtp.sock, server_hostname=ep.host)
                self._watch(smtp.sock)
                smtp.file = None
                smtp.reset_buffer()
                smtp.helo_resp = smtp.ehlo_resp = None
                smtp.esmtp_features = {}
                smtp.does_esmtp = False
                self._ehlo(smtp)
            if ep.username is not None:
                login(smtp, ep.host, ep.username, ep.password or "")
        except ssl.SSLError as exc:
            raise tls_error(ep.host, exc) from exc
        except ReplyError as exc:
            if exc.hostile:
                raise protocol_error(ep.host, "set-up", str(exc)) from exc
            raise TransientError(f"{ep.host} stopped answering during set-up: {exc}") from exc
        except smtplib.SMTPServerDisconnected as exc:
            raise TransientError(f"{ep.host} closed the connection during set-up") from exc
        except smtplib.SMTPResponseException as exc:
            raise reply_error(exc.smtp_code, reply_text(exc.smtp_error), "connect") from exc
        except (TimeoutError, OSError) as exc:
            raise TransientError(f"connection to {ep.host} failed during set-up: {exc}") from exc

    def _ehlo(self, smtp: BoundedSMTP) -> None:
        code, msg = smtp.ehlo()
        if code != 250:
            check_class(code, msg, self.endpoint.host, "EHLO")
            raise reply_error(code, reply_text(msg), "EHLO")

    @property
    def socket(self) -> Socket | None:
        """The live socket (an ssl.SSLSocket after STARTTLS), for reporting only."""
        return self._smtp.sock if self._smtp is not None else None

    def close(self, *, polite: bool = True) -> None:
        """``polite``: say QUIT first (briefly); not to a peer that broke the protocol."""
        if self._smtp is not None:
            # Not after a primed DATA (a QUIT would be message content) nor once interrupted.
            polite = polite and not self.interrupted and self._primed is None
            quietly_close(self._smtp, polite=polite)
            self._smtp = None
        self._primed = None
        self._watch(None)

    def _ready(self) -> BoundedSMTP:
        stale = self._smtp is not None and (
            self._sent_on_connection >= self.max_per_connection
            or self._clock() - self._last_used >= self.idle_reconnect
        )
        if self._smtp is None or stale:
            self._connect()
        assert self._smtp is not None
        return self._smtp

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
