"""The seam between the send path and its two backends (smtp/, rest/).

``SendSession`` is what transport/batch.py needs of a session; smtp.session.SmtpSession and
rest.session.RestSession both have it and raise the same errors (core.errors), so retries,
backoff and the "never resend an unknown outcome" rule are written once. ``Delivery`` is a
backend's answer for one message; ``Step`` one line of ``composer profile test``.

Both backends open a TCP connection and verify TLS the same way: the context and the mapping
of socket and ssl failures to ConnectError / TLSError are here, once.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from composer.core.build import OutgoingMessage
from composer.core.errors import ConnectError, TLSError


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
