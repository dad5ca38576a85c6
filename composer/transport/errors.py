"""Transport errors: what went wrong on the way to the relay, in words a person can act on.

    ComposerError (core.errors)
    ├── CredentialsError        no API key, or no usable keyring            exit 2
    └── TransportError          could not complete                          exit 4
        ├── ConnectError        host unreachable, refused, DNS
        ├── TLSError            no STARTTLS, 454, certificate or host name not trusted
        ├── TransientError      4xx replies, drops before the final "." (retry-safe);
        │                       REST: 429, 500, 503, drops before the body was sent
        ├── OutcomeUnknown      the final reply never came: may have been sent
        └── RelayRefused        a 5xx reply; REST: the other 4xx        exit 3
            └── AuthFailed      535: the key is wrong; REST: 401, 403

smtplib, http.client, ssl and socket exceptions are mapped to these once, at the edge
(session.py, rest.py), ``raise ... from exc``; none of them escapes the transport.
"""

from __future__ import annotations

from composer.core.errors import ComposerError


class CredentialsError(ComposerError):
    exit_code = 2


class TransportError(ComposerError):
    exit_code = 4


class ConnectError(TransportError):
    pass


class TLSError(TransportError):
    pass


class _Reply(TransportError):
    """An error that carries the server's own reply."""

    def __init__(self, message: str, code: int | None = None, reply: str = "") -> None:
        self.code = code
        self.reply = reply  # the server's text, e.g. "5.6.0 JSON parsing error in X-MSYS-API"
        self.refused: dict[str, tuple[int, str]] = {}  # per recipient, when RCPT was refused
        super().__init__(message)


class TransientError(_Reply):
    # Seconds the server asked us to wait (HTTP Retry-After); the send path waits at least
    # this long before the next attempt. None: no wish expressed, the usual backoff applies.
    retry_after: float | None = None


class OutcomeUnknown(_Reply):
    pass


class RelayRefused(_Reply):
    exit_code = 3

    def __init__(
        self, message: str, code: int | None = None, reply: str = "", field: str | None = None
    ) -> None:
        super().__init__(message, code, reply)
        self.field = field  # the draft field the refusal points at, when there is one


class AuthFailed(RelayRefused):
    pass
