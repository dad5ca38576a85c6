"""The seam between the send path and its two backends (smtp/, rest/).

``SendSession`` is what transport/batch.py needs of a session; smtp.session.SmtpSession and
rest.session.RestSession both have it and raise the same errors (core.errors), so retries,
backoff and the "never resend an unknown outcome" rule are written once. ``Delivery`` is a
backend's answer for one message; ``Step`` one line of ``composer profile test``.

Both backends open a TCP connection and verify TLS the same way: the context and the mapping
of socket and ssl failures to ConnectError / TLSError are here, once.
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from composer.core.build import OutgoingMessage
from composer.core.errors import Cancelled, ConnectError, TLSError, TransportError
from composer.transport.resolve import AddrInfo, resolve

KEY_MASK = "[key hidden]"
# C0 and C1 controls (ESC, BEL, CR...) and the Unicode line separators: a server's text is
# shown on a terminal and kept in the stores, where they could rewrite the screen (issue 12).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass
class Delivery:
    """The relay's answer to one message on one connection."""

    code: int
    reply: str
    accepted: list[str]
    refused: dict[str, tuple[int, str]]  # per recipient: the RCPT reply
    transmission_id: str | None = None  # REST: the id the API returned (SMTP has none)


class SendSession(Protocol):
    """What send_batch needs of a session: SmtpSession and RestSession both have it."""

    connections_opened: int

    def send(
        self,
        message: OutgoingMessage,
        *,
        rcpt_to: tuple[str, ...] | None = None,
        before_final_reply: Callable[[], None] | None = None,
    ) -> Delivery: ...

    def close(self) -> None: ...

    def interrupt(self) -> None: ...


class Interruptible:
    """Cancel from another thread, at once, without ever cutting off a message that may have
    reached the relay.

    ``interrupt`` shuts down the session's socket (the one connecting, too), which wakes a
    connect(), a TLS handshake or a read blocked on a silent or black-holed peer — unless
    the session is past its point of no return (``_past_commit``: the final "." or the REST
    request is on its way), where the reply is awaited within its deadline as usual and the
    session stops after it. A session once interrupted opens nothing more (``Cancelled``)."""

    def _init_interrupt(self) -> None:
        self._interrupt_lock = threading.Lock()
        self._interrupted = False
        self._past_commit = False
        self._live: socket.socket | None = None

    @property
    def interrupted(self) -> bool:
        return self._interrupted

    def interrupt(self) -> None:
        with self._interrupt_lock:
            self._interrupted = True
            if not self._past_commit and self._live is not None:
                # socket.socket's own shutdown, on an SSLSocket too: it only wakes the fd and
                # leaves the TLS object (used by the sending thread) alone.
                with contextlib.suppress(OSError, ValueError):
                    socket.socket.shutdown(self._live, socket.SHUT_RDWR)

    def _watch(self, sock: socket.socket | None) -> None:
        """``sock`` is the one to wake from now on (before it connects, after TLS wraps it)."""
        with self._interrupt_lock:
            self._live = sock
            if sock is not None and self._interrupted:
                with contextlib.suppress(OSError, ValueError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def _check_interrupted(self) -> None:
        if self._interrupted:
            raise Cancelled("cancelled before it was sent")

    def _commit(self) -> None:
        """The point of no return: from here the message may reach the relay."""
        with self._interrupt_lock:
            self._check_interrupted()
            self._past_commit = True

    def _settled(self) -> None:
        with self._interrupt_lock:
            self._past_commit = False


def connect_tcp(
    host: str,
    port: int,
    timeout: float,
    watch: Callable[[socket.socket], None] | None = None,
    *,
    addresses: list[AddrInfo] | None = None,
    stop: Callable[[], bool] | None = None,
) -> socket.socket:
    """socket.create_connection, each socket shown to ``watch`` before it connects (so that
    Interruptible.interrupt can wake the connect). The name is looked up within ``timeout``
    too (resolve.py; ConnectError when it is not), unless ``addresses`` were looked up
    already; TLS, the caller's, still checks ``host``."""
    if addresses is None:
        addresses = resolve(host, port, timeout, stop=stop)
    error: OSError | None = None
    for family, kind, proto, _name, address in addresses:
        sock = socket.socket(family, kind, proto)
        if watch is not None:
            watch(sock)
        try:
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError(f"no address found for {host}")


@dataclass(frozen=True)
class Step:
    """One step of a profile test (connect, TLS, login...)."""

    name: str
    ok: bool | None  # None: not reached
    detail: str = ""


def finish_steps(steps: list[Step], names: tuple[str, ...]) -> list[Step]:
    """``steps``, then every step of ``names`` not reached."""
    reached = {s.name for s in steps}
    return steps + [Step(name, None, "not reached") for name in names if name not in reached]


def tls_step(name: str, sock: object, plain: str) -> Step:
    """What TLS a live socket uses, for a profile test; ``plain`` when it has none."""
    if isinstance(sock, ssl.SSLSocket):
        cipher = sock.cipher()
        detail = f"{sock.version()}, {cipher[0] if cipher else '?'}"
        return Step(name, True, f"{detail}, certificate and host name verified")
    return Step(name, None, plain)


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """Verified TLS 1.2 or later: the system's trust store, or ``ca_file`` for a private CA."""
    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def connect_error(host: str, port: int, exc: OSError) -> ConnectError:
    """A connection that could not be made at all: DNS, refused, unreachable, timed out."""
    if isinstance(exc, socket.gaierror):
        return ConnectError(f"cannot find the host {host!r} ({exc.strerror})")
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return ConnectError(f"cannot reach {host}:{port} ({reason})")


def tls_error(host: str, exc: ssl.SSLError) -> TLSError:
    """A TLS handshake that failed: an untrusted certificate says so, and how to fix it."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TLSError(
            f"the certificate of {host} is not trusted: {exc.verify_message}"
            + (" (use --ca-file for a private CA)" if exc.verify_code else "")
        )
    return TLSError(f"TLS with {host} failed: {exc.reason or exc}")


def printable(text: str, limit: int = 600) -> str:
    """Server text made safe for a terminal and a log line: no control characters."""
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def secret_forms(secret: str) -> list[str]:
    """Every form of ``secret`` a server could echo back from what an SMTP client sent: the
    key itself and its AUTH LOGIN base64 (with and without its padding)."""
    if not secret:
        return []
    b64 = base64.b64encode(secret.encode("utf-8")).decode("ascii")
    forms = {secret, b64, b64.rstrip("=")}
    return sorted((f for f in forms if f), key=len, reverse=True)


def server_text(text: str, secrets: Iterable[str] = (), limit: int = 4000) -> str:
    """A server's text made fit to show and store: the secrets masked, no control characters.
    Masked before and after the cleaning, so neither can reassemble the key for the other."""
    forms = list(secrets)
    for f in forms:
        text = text.replace(f, KEY_MASK)
    text = printable(text, limit)
    for f in forms:
        text = text.replace(f, KEY_MASK)
    return text


def scrub_error(exc: TransportError, secrets: Iterable[str]) -> None:
    """Clean, in place, the server text an error carries (its message, ``reply`` and the
    per-recipient replies), at the edge where a session hands it on."""
    forms = list(secrets)
    exc.args = tuple(server_text(a, forms) if isinstance(a, str) else a for a in exc.args)
    if isinstance(getattr(exc, "reply", None), str):
        exc.reply = server_text(exc.reply, forms)  # type: ignore[attr-defined]
    refused = getattr(exc, "refused", None)
    if isinstance(refused, dict):
        for rcpt, (code, text) in list(refused.items()):
            refused[rcpt] = (code, server_text(text, forms))


def scrub_delivery(d: Delivery, secrets: Iterable[str]) -> Delivery:
    forms = list(secrets)
    d.reply = server_text(d.reply, forms)
    d.refused = {r: (c, server_text(t, forms)) for r, (c, t) in d.refused.items()}
    return d
