"""What the relay's replies mean for the person sending (seeds/000, 002; the SMTP error list),
and the one mapping from a reply to the error tree (core.errors).

The server's own text is always kept beside this explanation; this only adds what to do.
"""

from __future__ import annotations

import re

from composer.core.errors import (
    AuthFailed,
    PeerProtocolError,
    RelayRefused,
    TransientError,
    TransportError,
)
from composer.transport.smtp.wire import reply_class

_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")


def enhanced_code(text: str) -> str | None:
    m = _ENHANCED.match(text)
    return ".".join(m.groups()) if m else None


def explain(code: int, text: str, stage: str) -> tuple[str, str | None]:
    """(one sentence for a person, the draft field it concerns or None)."""
    status = enhanced_code(text)
    server = f"{code} {text}".strip()
    lower = text.lower()
    if code == 535:
        return (
            f"the relay refused the API key ({server}): check that the key is right and has "
            "the 'Send via SMTP' permission",
            None,
        )
    if status == "5.6.0" or "x-msys-api" in lower:
        field = None
        if "metadata" in lower:
            field = "metadata"
        elif "campaign" in lower:
            field = "campaign_id"
        elif "1000" in lower or "recipients" in lower:
            field = "cc"
        return f"the relay could not accept the X-MSYS-API header: {server}", field
    if status == "5.7.1" and "sending domain" in lower:
        return (
            f"the From address's domain is not set up as a sending domain on this account "
            f"({server}); a subaccount needs a domain assigned to it",
            "from",
        )
    if code == 421:
        return f"the relay is closing the connection for now ({server}); try again later", None
    if 400 <= code < 500:
        return f"the relay deferred the message at {stage} ({server})", None
    if stage == "RCPT TO":
        return f"the relay refused the recipient ({server})", "to"
    if stage == "MAIL FROM":
        return f"the relay refused the sender ({server})", "from"
    return f"the relay refused the message at {stage} ({server})", None


def reply_text(msg: bytes | str) -> str:
    return msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)


def protocol_error(host: str, stage: str, what: str) -> PeerProtocolError:
    return PeerProtocolError(f"{host} broke the SMTP protocol at {stage}: {what}")


def reply_error(code: int, text: str, stage: str) -> TransportError:
    """Map one SMTP reply to the error a person can act on."""
    message, field_name = explain(code, text, stage)
    if code == 535:
        return AuthFailed(message, code, text)
    if 500 <= code < 600:
        return RelayRefused(message, code, text, field=field_name)
    return TransientError(message, code, text)


def check_class(code: int, msg: bytes, host: str, stage: str) -> None:
    """Before the final ".": a code that is not a well-formed 2xx, 4xx or 5xx is the peer
    breaking the protocol, not a refusal to retry."""
    if reply_class(code) is None:
        raise protocol_error(host, stage, f"{code} {reply_text(msg)}".strip())
