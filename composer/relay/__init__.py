"""The local relay: an SMTP server on the loopback address that does what the SparkPost / Bird
SMTP API documents (cc, bcc and archive fan-out from ``X-MSYS-API``, the documented 550
replies, AUTH LOGIN, STARTTLS) and delivers every copy into a Maildir, so that everything can be
tried without an account.

``fanout`` is the pure logic (bytes in, copies out), ``maildir`` the delivery and listing,
``server`` the aiosmtpd server around them, ``http`` the same relay's REST Transmissions
endpoint (``transmissions`` turns its requests into the same fan-out), ``sink`` what both
deliver through. No Qt, no GUI, no CLI imports here.
"""

from composer.relay.http import LocalHttpRelay
from composer.relay.server import LocalRelay

__all__ = ["LocalHttpRelay", "LocalRelay"]
