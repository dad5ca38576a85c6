"""A loopback SMTP sink for benchmarks: aiosmtpd with STARTTLS and AUTH LOGIN, counting
messages. Run as a separate process so that client and server do not share a GIL.

    python smtp_sink.py PORT CERT KEY     (prints "ready" when listening; stops on stdin EOF)
"""

from __future__ import annotations

import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    count = 0

    async def handle_DATA(self, server, session, envelope):
        Sink.count += 1
        return "250 2.0.0 OK"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # aiosmtpd reads commands from its stream one after another, so it takes pipelined
        # groups as they are; it just does not say so. Production MTAs do (RFC 2920).
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


def auth(server, session, envelope, mechanism, data):
    return AuthResult(success=isinstance(data, LoginPassword), handled=False)


def main() -> None:
    port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    c = Controller(
        Sink(),
        hostname="127.0.0.1",
        port=port,
        tls_context=ctx,
        require_starttls=True,
        authenticator=auth,
        auth_require_tls=True,
        auth_exclude_mechanism=["PLAIN"],
        enable_SMTPUTF8=False,
    )
    c.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the benchmark closes our stdin
    c.stop()
    print(f"received {Sink.count}", flush=True)


if __name__ == "__main__":
    main()
