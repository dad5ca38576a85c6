"""``composer relay``: run the local relay in the foreground until Ctrl+C (or SIGTERM).

Mail sent to it is fanned out the way the SparkPost / Bird relay documents and delivered into a
Maildir (by default the app's own sandbox folder, which the window's sandbox view reads).
``--http-port`` also serves the REST Transmissions endpoint on the same address, into the same
Maildir with the same sandbox count.
"""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import ssl
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from composer.app.context import Context
from composer.core.errors import ExitCode, RelayStartError, UsageError

if TYPE_CHECKING:
    from composer.relay import LocalHttpRelay, LocalRelay

__all__ = ["DEFAULT_PORT", "RelayStartError", "add_parser", "run_relay"]

DEFAULT_PORT = 1025  # unprivileged, and the port local test SMTP servers traditionally use



def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "relay",
        help="run a local SMTP relay that delivers into a Maildir (no account needed)",
        description="Run an SMTP server on this computer that behaves like the SparkPost / Bird "
        "relay (X-MSYS-API cc, bcc and archive copies, its 550 replies, AUTH LOGIN as "
        "SMTP_Injection with any password) and delivers every copy into a Maildir.",
    )
    p.set_defaults(handler=run_relay)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    p.add_argument("--maildir", metavar="DIR", help="where copies go (default: the app's sandbox)")
    p.add_argument("--tls-cert", metavar="FILE", help="PEM certificate: offer and require STARTTLS")
    p.add_argument("--tls-key", metavar="FILE", help="PEM private key for --tls-cert")
    p.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a non-loopback --host (anyone who can reach it can then send)",
    )
    p.add_argument(
        "--require-auth", action="store_true", help="refuse MAIL until AUTH LOGIN succeeded"
    )
    p.add_argument(
        "--http-port",
        type=int,
        metavar="N",
        help="also serve the REST Transmissions API (POST /api/v1/transmissions) on port N "
        "(loopback only; any Authorization value)",
    )


def _make_relay(args: argparse.Namespace, maildir: Path) -> LocalRelay:
    from composer.relay import LocalRelay

    if (args.tls_cert is None) != (args.tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together: give both or neither")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port: {args.port} is not between 0 and 65535")
    try:
        return LocalRelay(
            maildir,
            host=args.host,
            port=args.port,
            tls_cert=Path(args.tls_cert) if args.tls_cert else None,
            tls_key=Path(args.tls_key) if args.tls_key else None,
            allow_remote=args.allow_remote,
            require_auth=args.require_auth,
        )
    except ValueError as exc:
        hint = "" if args.allow_remote else "; add --allow-remote to listen there anyway"
        raise UsageError(f"--host: {exc}{hint}") from None
    except (OSError, ssl.SSLError) as exc:
        why = exc.strerror or str(exc)
        raise UsageError(f"--tls-cert/--tls-key: cannot load the certificate: {why}") from None


def _make_http(args: argparse.Namespace, relay: LocalRelay) -> LocalHttpRelay | None:
    from composer.relay import LocalHttpRelay

    if args.http_port is None:
        return None
    if not 0 <= args.http_port <= 65535:
        raise UsageError(f"--http-port: {args.http_port} is not between 0 and 65535")
    try:
        return LocalHttpRelay(relay.maildir, args.host, args.http_port, sink=relay.sink)
    except ValueError as exc:
        raise UsageError(f"--http-port: {exc} (it is never served beyond loopback)") from None


def _start(relay: LocalRelay | LocalHttpRelay) -> None:
    try:
        relay.start()
    except OSError as exc:
        where = f"{relay.host}:{relay.port}"
        if exc.errno == errno.EADDRINUSE:
            raise RelayStartError(
                f"cannot listen on {where}: the port is already in use (choose another with --port)"
            ) from None
        raise RelayStartError(f"cannot listen on {where}: {exc.strerror or exc}") from None


def run_relay(context: Context, args: argparse.Namespace) -> int:
    maildir = Path(args.maildir).expanduser() if args.maildir else context.sandbox
    relay = _make_relay(args, maildir)
    http = _make_http(args, relay)
    if not args.debug:
        # aiosmtpd logs every command and a deprecation notice per login; keep its warnings
        # about real trouble only
        logging.getLogger("mail.log").setLevel(logging.ERROR)
    logging.getLogger("composer.relay").setLevel(logging.DEBUG if args.debug else logging.INFO)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        _start(relay)
        try:
            if http is not None:
                _start(http)
            print(
                f"Local relay listening on {relay.host}:{relay.port}, delivering into "
                f"{maildir} (Ctrl+C to stop)",
                file=sys.stderr,
                flush=True,
            )
            if http is not None:
                print(f"REST Transmissions API at {http.url}", file=sys.stderr, flush=True)
            # A timed wait, because a signal does not interrupt Event.wait() on Windows.
            while not stop.wait(0.5):
                pass
        finally:
            if http is not None:
                http.stop()
            relay.stop()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    print("Local relay stopped", file=sys.stderr, flush=True)
    return ExitCode.OK
