"""AUTH LOGIN, written out (seeds/000: the relay's documented login; the user name is
SMTP_Injection, the password the API key).

smtplib's own login decodes each 334 challenge as base64 and crashes on one that is not
(issue 12), and keeps the key on the SMTP object; here each step is checked and a peer that
answers out of turn is a protocol error, before the key is sent.
"""

from __future__ import annotations

import base64
import binascii

from composer.core.errors import KeyDeferred, PeerProtocolError, TransientError
from composer.transport.smtp.replies import check_class, protocol_error, reply_error, reply_text
from composer.transport.smtp.wire import BoundedSMTP, reply_class


def login(smtp: BoundedSMTP, host: str, username: str, password: str) -> None:
    """Log in as ``username`` with ``password`` (the key); raise the error tree's
    PeerProtocolError, AuthFailed, RelayRefused or TransientError."""
    auth = smtp.esmtp_features.get("auth", "")
    if "LOGIN" not in auth.upper().split():
        raise PeerProtocolError(
            f"{host} does not offer AUTH LOGIN, the relay's documented login (it offers: "
            f"{auth.strip() or 'no AUTH at all'}); the key was not sent"
        )
    code, msg = smtp.docmd("AUTH", "LOGIN")
    _challenge(code, msg, host, "AUTH LOGIN")
    code, msg = smtp.docmd(_b64(username))
    _challenge(code, msg, host, "AUTH LOGIN (user name)")
    code, msg = smtp.docmd(_b64(password))
    if reply_class(code) == 2:
        return
    stage = "AUTH LOGIN (key)"
    check_class(code, msg, host, stage)
    err = reply_error(code, reply_text(msg), stage)
    if isinstance(err, TransientError):
        # e.g. 454 "temporary authentication failure": worth one more try, not the full
        # retries, for each try sends the key again (issue 12: it went out four times).
        raise KeyDeferred(str(err), err.code, err.reply)
    raise err


def _challenge(code: int, msg: bytes, host: str, stage: str) -> None:
    if code != 334:
        if reply_class(code) in (4, 5):
            raise reply_error(code, reply_text(msg), stage)
        # e.g. 235 before the key was sent: whatever this is, it is not AUTH LOGIN
        raise protocol_error(host, stage, f"{code} {reply_text(msg)}".strip())
    try:
        base64.b64decode(msg.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise protocol_error(
            host,
            stage,
            f"its 334 challenge is not base64 ({reply_text(msg)[:60]!r}); the key was not sent",
        ) from None


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
