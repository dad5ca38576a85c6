"""The Transmissions REST API as a send session: the same surface as SmtpSession, so the one
send path (sender.send_batch) drives both.

Where a failure happened decides what may be retried, as over SMTP: until the request body has
been handed to the connection in full, the API cannot have created a transmission, so a failure
there is TransientError; once it has, a timeout or a dropped connection is OutcomeUnknown and
the message is never sent again automatically. The server's answers are mapped in
replies.py. Redirects are not followed: that would send the key to another address.

This file owns the connection and one bounded request and answer (``exchange``); a message as a
transmission, and what the API's answer to it means, is transmission.py's half of the session.

The key travels only in the ``Authorization`` header (seeds/002), over verified TLS; plain HTTP
is refused unless the host is this computer (the local sandbox endpoint). No text from the
server is shown without the key being masked in it first: in the raw body here, and in every
form (JSON-escaped, URL-encoded, base64) in each error and result leaving ``send`` and
``request`` (keymask.py).
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from composer import __version__
from composer.core.errors import (
    Cancelled,
    ConnectError,
    OutcomeUnknown,
    TLSError,
    TransientError,
    TransportError,
)
from composer.core.hosts import is_loopback
from composer.transport.base import (
    connect_error,
    connect_tcp,
    tls_context,
    tls_error,
)
from composer.transport.profiles.credentials import Secret
from composer.transport.rest.keymask import HIDDEN, hide_in_error, hide_key
from composer.transport.rest.replies import printable
from composer.transport.rest.transmission import Transmissions
from composer.transport.rest.wire import ReplyError, read_reply

__all__ = ["RestEndpoint", "RestSession"]

# The class has a ``socket`` property, which hides the module inside its body.
Socket = socket.socket
log = logging.getLogger(__name__)

# Servers close idle keep-alive connections after 5-75 s depending on the software in front
# of them; a request racing that close would look like an unknown outcome. Reconnect sooner.
IDLE_RECONNECT = 4.0
_MASK = HIDDEN.encode("ascii")


@dataclass(frozen=True)
class RestEndpoint:
    url: str  # the API base, e.g. https://api.sparkpost.com/api/v1
    api_key: Secret = field(repr=False)
    ca_file: str | None = None
    timeout: float = 60.0  # connect and send
    final_timeout: float = 600.0  # for the answer once the request is sent

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConnectError(f"{self.url!r} is not an https:// API URL")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise TLSError(
                f"refusing to send the API key to {parts.hostname} over plain http: https is "
                "required for any host but this computer"
            )

    @property
    def tls(self) -> bool:
        return urlsplit(self.url).scheme == "https"

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or (443 if self.tls else 80)

    @property
    def base_path(self) -> str:
        return urlsplit(self.url).path.rstrip("/")


def _peer_closed(sock: socket.socket) -> bool:
    """An idle keep-alive socket that is readable has been closed by the server (or holds
    bytes nobody asked for): either way it must not carry the next request."""
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class RestSession(Transmissions):
    """HTTP/1.1 keep-alive to one API base URL. Not thread-safe: one send path owns it (a
    batch opens one per connection); only ``interrupt`` may be called from another thread:
    it wakes a connect or TLS handshake, never a request already written (its answer is
    awaited within the final timeout).

    The request is written and the response read here, on a plain (or TLS) socket, rather than
    through http.client: every answer must be complete within a deadline and fit in caps
    (wire.py), and bytes the server sent beyond its answer must never be taken for the
    answer to the next request."""

    def __init__(
        self,
        endpoint: RestEndpoint,
        *,
        substitution_data: dict[str, Any] | None = None,
        idle_reconnect: float = IDLE_RECONNECT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint
        self.substitution_data = substitution_data
        self.idle_reconnect = idle_reconnect
        self._clock = clock
        self._sock: socket.socket | None = None
        self._last_used = 0.0
        self.connections_opened = 0
        self._init_interrupt()

    # --- connection ---------------------------------------------------------------------

    def connect(self) -> None:
        """TCP, then (https) TLS with the certificate and host name verified, all within the
        connect timeout."""
        self.close()
        self._check_interrupted()
        ep = self.endpoint
        try:
            raw = connect_tcp(
                ep.host, ep.port, ep.timeout, self._watch, stop=lambda: self.interrupted
            )
        except OSError as exc:
            raise connect_error(ep.host, ep.port, exc) from exc
        sock: socket.socket = raw
        if ep.tls:
            ctx = tls_context(ep.ca_file)
            try:
                # one deadline for the whole handshake: CPython's ssl counts the socket
                # timeout from the start of do_handshake, not per read
                sock = ctx.wrap_socket(raw, server_hostname=ep.host)
                self._watch(sock)
            except ssl.SSLError as exc:
                raw.close()
                raise tls_error(ep.host, exc) from exc
            except OSError as exc:
                raw.close()
                raise ConnectError(
                    f"{ep.host}:{ep.port} closed the connection or did not answer during the "
                    f"TLS handshake ({exc.strerror or type(exc).__name__})"
                ) from exc
        self._sock = sock
        self._last_used = self._clock()
        self.connections_opened += 1

    @property
    def socket(self) -> Socket | None:
        """The live socket (an ssl.SSLSocket over https), for reporting only."""
        return self._sock

    def close(self) -> None:
        sock, self._sock = self._sock, None
        self._watch(None)
        self._settled()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _ready(self) -> tuple[Socket, bool]:
        """A connection to use, and whether it had carried a request before."""
        sock = self._sock
        if (
            sock is None
            or self._clock() - self._last_used >= self.idle_reconnect
            or _peer_closed(sock)
        ):
            self.connect()
            assert self._sock is not None
            return self._sock, False
        return sock, True

    # --- one request ----------------------------------------------------------------------

    def _mask(self, data: bytes) -> bytes:
        """The server's text with the key masked: some servers echo what they were sent."""
        key = self.endpoint.api_key.reveal().encode("ascii", "replace")
        return data.replace(key, _MASK) if key else data

    def hide(self, text: str) -> str:
        """Text shown from the server's answer, without the key in any form."""
        return hide_key(text, self.endpoint.api_key.reveal())

    def _head(self, method: str, path: str, body: bytes | None) -> bytes:
        ep = self.endpoint
        default = 443 if ep.tls else 80
        host = f"[{ep.host}]" if ":" in ep.host else ep.host
        host += f":{ep.port}" if ep.port != default else ""
        lines = [
            f"{method} {ep.base_path + path} HTTP/1.1",
            f"Host: {host}",
            f"Authorization: {ep.api_key.reveal()}",
            "Accept: application/json",
            f"User-Agent: Composer/{__version__}",
        ]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        if any(c in ep.api_key.reveal() for c in "\r\n\0"):
            # a key with a line break would add headers of its own to the request
            raise ConnectError("the API key holds a line break or NUL: check the key")
        text = "\r\n".join(lines) + "\r\n\r\n"
        return text.encode("latin-1", "strict")

    def _write(self, sock: Socket, data: bytes) -> None:
        """All of ``data`` within the send timeout as a whole (not per chunk)."""
        deadline = self._clock() + self.endpoint.timeout
        view = memoryview(data)
        while view:
            left = deadline - self._clock()
            if left <= 0:
                raise TimeoutError("the request could not be sent in time")
            sock.settimeout(left)
            view = view[sock.send(view[: 256 * 1024]) :]

    def exchange(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        before_final_reply: Callable[[], None] | None = None,
    ) -> tuple[int, bytes, str | None, str]:
        """(status, body with the key masked, Retry-After, what was wrong with the body or "").
        Raises ConnectError / TLSError / TransientError before the request was sent in full,
        OutcomeUnknown after it when no well-formed status arrived in time."""
        ep = self.endpoint
        try:
            request = self._head(method, path, body) + (body or b"")
        except UnicodeEncodeError:
            raise ConnectError("the API key holds characters an HTTP header cannot") from None
        sock, reused = self._ready()
        try:
            self._commit()  # from the first byte of the request, Cancel waits for its answer
        except Cancelled:
            self.close()
            raise
        try:
            self._write(sock, request)
        except OSError as exc:
            self.close()
            if not reused:
                raise TransientError(f"the connection to {ep.host} dropped while sending") from exc
            # A reused connection the server had closed: nothing arrived in full; open anew.
            log.info("keep-alive connection was closed by the server; reconnecting")
            return self.exchange(method, path, body, before_final_reply)
        if before_final_reply is not None:
            before_final_reply()
        try:
            reply = read_reply(sock, ep.final_timeout, head_request=method == "HEAD")
            self._settled()
        except ReplyError as exc:
            self.close()
            if exc.status is None:
                raise OutcomeUnknown(_unknown(method, exc, ep.final_timeout)) from exc
            # the status arrived; what is missing is only the detail
            return exc.status, b"", None, _problem(exc, ep.final_timeout)
        if not reply.reusable:
            self.close()
        elif self._sock is not None:
            self._sock.settimeout(ep.timeout)
        self._last_used = self._clock()
        if 300 <= reply.status < 400 and (where := reply.header("location")):
            # shown to the person, never followed: following would carry the key elsewhere
            note = f"it redirects to {printable(where, 200)}"
            return reply.status, self._mask(reply.body), None, note
        return reply.status, self._mask(reply.body), reply.header("retry-after"), ""

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        before_final_reply: Callable[[], None] | None = None,
    ) -> tuple[int, bytes, str | None]:
        """(status, body with the key masked, Retry-After); raises as ``exchange``, with the
        key hidden in the error."""
        try:
            status, data, retry_after, _ = self.exchange(method, path, body, before_final_reply)
        except TransportError as exc:
            hide_in_error(exc, self.endpoint.api_key.reveal())
            raise
        return status, data, retry_after

    def __enter__(self) -> RestSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unknown(method: str, exc: ReplyError, timeout: float) -> str:
    why = {
        "timeout": f"no complete answer came within {timeout:g} s",
        "closed": "the connection ended before the API answered",
    }.get(exc.kind, f"the answer was not the API's ({exc})")
    if method != "POST":
        return f"{why}: check the API URL"
    return f"{why}: the transmission may have been created; check before sending it again"


def _problem(exc: ReplyError, timeout: float) -> str:
    if exc.kind == "timeout":
        return f"the rest of the answer did not come within {timeout:g} s"
    return str(exc)
