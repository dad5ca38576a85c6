"""The local relay: an SMTP server on the loopback address that does what the SparkPost / Bird
SMTP API documents (cc, bcc and archive fan-out from ``X-MSYS-API``, the documented 550
replies, AUTH LOGIN, STARTTLS) and delivers every copy into a Maildir, so that everything can be
tried without an account.

``fanout`` is the pure logic (bytes in, copies out), ``maildir`` the delivery and listing,
``server`` the aiosmtpd server around them, ``http`` the same relay's REST Transmissions
endpoint (``transmissions`` turns its requests into the same fan-out), ``sink`` what both
deliver through. No Qt, no GUI, no CLI imports here.

The servers are imported on first use (PEP 562): the window's preview imports ``fanout`` on
every start, and importing this package used to bring aiosmtpd, asyncio, http.server and
mailbox with it (tens of ms of the first render, README Performance).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from composer.relay.http import LocalHttpRelay
    from composer.relay.server import LocalRelay

__all__ = ["LocalHttpRelay", "LocalRelay"]


def __getattr__(name: str) -> Any:
    if name == "LocalRelay":
        from composer.relay.server import LocalRelay

        return LocalRelay
    if name == "LocalHttpRelay":
        from composer.relay.http import LocalHttpRelay

        return LocalHttpRelay
    raise AttributeError(f"module 'composer.relay' has no attribute {name!r}")
