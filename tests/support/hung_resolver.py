"""``composer`` with a name resolver that never answers: the real command, the system's resolver
replaced by a hook that waits on an event nobody sets (no real DNS is ever asked).

    python hung_resolver.py dns|fqdn|both COMPOSER-ARGS...

``dns``: every lookup of a name hangs, as a system resolver that never answers would:
socket.getaddrinfo itself is replaced, so whatever calls it (resolve.py's worker, or code that
calls it directly) meets the silence; an address written as one (AI_NUMERICHOST) is still read.
``fqdn``: socket.getfqdn() hangs (what smtplib calls at start when given no local_hostname).
Run with ``tests`` on PYTHONPATH.
"""

from __future__ import annotations

import socket
import sys
import threading
from typing import NoReturn

from composer.cli import main

NEVER = threading.Event()
_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # type: ignore[no-untyped-def]
    if flags & socket.AI_NUMERICHOST:
        return _real_getaddrinfo(host, port, family, type, proto, flags)
    return _hang()


def _hang(*_args: object, **_kwargs: object) -> NoReturn:
    NEVER.wait()
    raise AssertionError("unreachable: the event is never set")


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    if what in ("dns", "both"):
        socket.getaddrinfo = _getaddrinfo
    if what in ("fqdn", "both"):
        socket.getfqdn = _hang
    sys.exit(main(args))
