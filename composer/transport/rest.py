"""The Transmissions REST API as a send session: the same surface as SmtpSession, so the one
send path (sender.send_batch) drives both.

Where a failure happened decides what may be retried, as over SMTP: until the request body has
been handed to the connection in full, the API cannot have created a transmission, so a failure
there is TransientError; once it has, a timeout or a dropped connection is OutcomeUnknown and
the message is never sent again automatically. The server's answers are mapped in
apierrors.py. Redirects are not followed: that would send the key to another address.

The key travels only in the ``Authorization`` header (seeds/002), over verified TLS; plain HTTP
is refused unless the host is this computer (the local sandbox endpoint). No text from the
server is shown without the key being masked in it first.
"""

from __future__ import annotations

import contextlib
import http.client
import json
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
from composer.core.build import OutgoingMessage
from composer.transport.apierrors import api_error, describe_errors, printable
from composer.transport.credentials import Secret
from composer.transport.errors import (
    ConnectError,
    OutcomeUnknown,
    RelayRefused,
    TLSError,
    TransientError,
)
from composer.transport.providers import is_loopback
from composer.transport.session import Delivery
from composer.transport.transmission import PayloadError, transmission

__all__ = ["RestEndpoint", "RestSession"]

log = logging.getLogger(__name__)

# Servers close idle keep-alive connections after 5-75 s depending on the software in front
# of them; a request racing that close would look like an unknown outcome. Reconnect sooner.
IDLE_RECONNECT = 4.0
_MASK = b"********"


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


class RestSession:
    """HTTP keep-alive to one API base URL. Not thread-safe: one send path owns it."""

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
        self._conn: http.client.HTTPConnection | None = None
        self._last_used = 0.0
        self.connections_opened = 0

    # --- connection ---------------------------------------------------------------------

    def connect(self) -> None:
        """TCP, then (https) TLS with the certificate and host name verified."""
        self.close()
        ep = self.endpoint
        conn: http.client.HTTPConnection
        if ep.tls:
            ctx = ssl.create_default_context(cafile=ep.ca_file)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            conn = http.client.HTTPSConnection(ep.host, ep.port, timeout=ep.timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection(ep.host, ep.port, timeout=ep.timeout)
        try:
            conn.connect()
        except ssl.SSLCertVerificationError as exc:
            conn.close()
            raise TLSError(
                f"the certificate of {ep.host} is not trusted: {exc.verify_message}"
                + (" (use --ca-file for a private CA)" if exc.verify_code else "")
            ) from exc
        except ssl.SSLError as exc:
            conn.close()
            raise TLSError(f"TLS with {ep.host} failed: {exc.reason or exc}") from exc
        except socket.gaierror as exc:
            raise ConnectError(f"cannot find the host {ep.host!r} ({exc.strerror})") from exc
        except OSError as exc:
            conn.close()
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise ConnectError(f"cannot reach {ep.host}:{ep.port} ({reason})") from exc
        self._conn = conn
        self._last_used = self._clock()
        self.connections_opened += 1

    @property
    def socket(self) -> socket.socket | None:
        """The live socket (an ssl.SSLSocket over https), for reporting only."""
        return self._conn.sock if self._conn is not None else None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def _ready(self) -> tuple[http.client.HTTPConnection, bool]:
        """A connection to use, and whether it had carried a request before."""
        conn = self._conn
        if (
            conn is None
            or conn.sock is None  # http.client closed it after "Connection: close"
            or self._clock() - self._last_used >= self.idle_reconnect
            or _peer_closed(conn.sock)
        ):
            self.connect()
            assert self._conn is not None
            return self._conn, False
        return conn, True

    # --- one request ----------------------------------------------------------------------

    def _mask(self, data: bytes) -> bytes:
        """The server's text with the key masked: some servers echo what they were sent."""
        key = self.endpoint.api_key.reveal().encode("ascii", "replace")
        return data.replace(key, _MASK) if key else data

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        before_final_reply: Callable[[], None] | None = None,
    ) -> tuple[int, bytes, str | None]:
        """(status, body with the key masked, Retry-After). Raises ConnectError / TLSError /
        TransientError before the request was sent in full, OutcomeUnknown after."""
        ep = self.endpoint
        headers = {
            "Authorization": ep.api_key.reveal(),
            "Accept": "application/json",
            "User-Agent": f"Composer/{__version__}",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        conn, reused = self._ready()
        try:
            conn.request(method, ep.base_path + path, body=body, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            if not reused:
                raise TransientError(f"the connection to {ep.host} dropped while sending") from exc
            # A reused connection the server had closed: nothing arrived in full; open anew.
            log.info("keep-alive connection was closed by the server; reconnecting")
            return self.request(method, path, body, before_final_reply)
        if before_final_reply is not None:
            before_final_reply()
        try:
            if conn.sock is not None:
                conn.sock.settimeout(ep.final_timeout)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise OutcomeUnknown(
                "the connection ended before the API answered: the transmission may have been "
                "created; check before sending it again"
            ) from exc
        try:
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()  # the status arrived; what is missing is only the detail
            data = b""
        if conn.sock is not None:
            conn.sock.settimeout(ep.timeout)
        self._last_used = self._clock()
        return response.status, self._mask(data), response.getheader("Retry-After")

    def send(
        self,
        message: OutgoingMessage,
        *,
        rcpt_to: tuple[str, ...] | None = None,
        before_final_reply: Callable[[], None] | None = None,
    ) -> Delivery:
        """POST one message as a transmission. Raises like SmtpSession.send."""
        try:
            payload = transmission(
                message, rcpt_to=rcpt_to, substitution_data=self.substitution_data
            )
        except PayloadError as exc:
            # Callers check payloads before sending (composer send exits 2); a window that
            # did not still gets a per-message answer naming the field, not a crash.
            raise RelayRefused(str(exc), None, "", field=exc.field) from exc
        body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
        status, data, retry_after = self.request("POST", "/transmissions", body, before_final_reply)
        if not 200 <= status < 300:
            raise api_error(status, data, retry_after)
        emails = [r["address"]["email"] for r in payload["recipients"]]
        return _delivery(status, data, emails)

    def __enter__(self) -> RestSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _count(results: dict[str, Any], key: str) -> int | None:
    value = results.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _delivery(status: int, data: bytes, emails: list[str]) -> Delivery:
    """A 2xx: the transmission exists. Its id and counts, and any recipients it rejected."""
    try:
        doc = json.loads(data.decode("utf-8")) if data else {}
    except (UnicodeDecodeError, ValueError, RecursionError):
        doc = {}
    results = doc.get("results") if isinstance(doc, dict) else None
    results = results if isinstance(results, dict) else {}
    raw_id = results.get("id")
    tid = printable(str(raw_id), 64) if isinstance(raw_id, (str, int)) and raw_id != "" else None
    accepted = _count(results, "total_accepted_recipients")
    rejected = _count(results, "total_rejected_recipients") or 0
    refused: dict[str, tuple[int, str]] = {}
    rcpt_errors = results.get("rcpt_to_errors")
    for i, e in enumerate(rcpt_errors if isinstance(rcpt_errors, list) else []):
        code = str(e.get("code", "")) if isinstance(e, dict) else ""
        # API codes are 4 digits; never 4xx, which send_batch would take as "deferred"
        number = int(code) if code.isdigit() and not 400 <= int(code) < 500 else 0
        refused[f"recipient error {i + 1}"] = (number, describe_errors({"errors": [e]}))
    if rejected and not refused:
        refused[f"{rejected} recipient(s)"] = (0, "rejected by the API")
    reply = f"OK: {len(emails) if accepted is None else accepted} accepted, {rejected} rejected"
    if said := describe_errors(doc):
        reply += f" ({said})"
    if tid is None:
        reply += "; the answer held no transmission id"
    return Delivery(status, reply, [] if refused else emails, refused, transmission_id=tid)
