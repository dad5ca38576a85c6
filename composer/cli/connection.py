"""The connection flags, declared once: ``composer send`` and ``composer outbox resume`` both
take them (resume used to re-declare them, without their help, and borrow send's private
helpers).

Which profile, where to (host, port, the fallback port, TLS), which road (SMTP or the REST
Transmissions API, and its URL), and how patient to be (timeouts, retries). Each is checked
before anything is written or sent.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from composer.app.context import Context
from composer.core.errors import UsageError

if TYPE_CHECKING:  # the transport is imported when a send starts, not to parse flags
    from composer.transport.batch import SendOptions
    from composer.transport.profiles.store import Profile

__all__ = [
    "add_connection_arguments",
    "announce",
    "check_api_args",
    "check_connection_args",
    "profile_from_args",
    "send_options",
    "session_args",
]

PROVIDERS = ["sparkpost", "sparkpost-eu", "bird", "bird-eu", "custom", "local"]


def add_connection_arguments(group: Any) -> None:
    group.add_argument("--profile", metavar="NAME", help="a saved profile (composer profile list)")
    group.add_argument("--provider", metavar="PRESET", choices=PROVIDERS)
    group.add_argument("--host", metavar="HOST")
    group.add_argument("--port", metavar="N", type=int)
    group.add_argument(
        "--fallback-port",
        metavar="N",
        type=int,
        help="try port N when the first cannot be reached (TLS only). Without it a second "
        "port (2525) is tried only for the SparkPost / Bird hosts when no --port is given",
    )
    group.add_argument("--subaccount", metavar="ID", help="SparkPost subaccount id")
    group.add_argument("--workspace", metavar="ID", help="Bird workspace id")
    group.add_argument("--ca-file", metavar="FILE", help="trust this CA too (a private relay)")
    group.add_argument("--no-tls", action="store_true", help="plain SMTP: loopback hosts only")
    group.add_argument(
        "--retries",
        metavar="N",
        type=int,
        default=3,
        help="retries of a transient failure (default 3)",
    )
    group.add_argument(
        "--retry-delay",
        metavar="SECONDS",
        type=float,
        default=1.0,
        help="first wait before a retry; doubles each time (default 1)",
    )
    group.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        default=60.0,
        help="per SMTP command, or to connect and send over REST (default 60, the relay's minimum)",
    )
    group.add_argument(
        "--final-timeout",
        metavar="SECONDS",
        type=float,
        default=600.0,
        help="for the reply after the message, or the API's answer (default 600); a server's "
        "Retry-After is honoured up to it, at most 60 s",
    )
    group.add_argument(
        "--connections",
        metavar="N",
        type=int,
        help="connections to open at once, 1-20 (default: the profile's, 4); each carries at "
        "most 100 messages",
    )
    group.add_argument(
        "--api",
        choices=["smtp", "rest"],
        help="send over SMTP or the REST Transmissions API (default: the profile's; with "
        "--dry-run, rest prints the request body)",
    )
    group.add_argument(
        "--api-url",
        metavar="URL",
        help="REST API base URL (SparkPost Enterprise: https://yourdomain.api.e.sparkpost.com"
        "/api/v1)",
    )


def check_connection_args(args: argparse.Namespace) -> None:
    if args.retries < 0 or args.retries > 20:
        raise UsageError("--retries: give a number from 0 to 20")
    if args.connections is not None and not 1 <= args.connections <= 20:
        raise UsageError("--connections: give a number from 1 to 20")
    if args.retry_delay < 0:
        raise UsageError("--retry-delay: must not be negative")
    if args.timeout <= 0 or args.final_timeout <= 0:
        raise UsageError("--timeout / --final-timeout: must be more than 0 seconds")
    if args.ca_file is not None and not Path(args.ca_file).is_file():
        raise UsageError(f"--ca-file: file not found: {args.ca_file}")
    if args.port is not None and not 1 <= args.port <= 65535:
        raise UsageError("--port: give a number from 1 to 65535")
    if args.fallback_port is not None and not 1 <= args.fallback_port <= 65535:
        raise UsageError("--fallback-port: give a number from 1 to 65535")
    if args.fallback_port is not None and args.no_tls:
        raise UsageError(
            "--fallback-port: not with --no-tls (the key would go in the clear to a second port)"
        )


def check_api_args(args: argparse.Namespace, api: str) -> None:
    """Flags that mean nothing on the road chosen: refused, rather than silently ignored."""
    if api == "rest":
        return
    if getattr(args, "substitution_data", None) is not None:
        raise UsageError(
            "--substitution-data: only the REST API uses substitution data (the SMTP API "
            "ignores it); add --api rest"
        )
    if args.api_url is not None:
        raise UsageError("--api-url: is the REST API's address; add --api rest")


def profile_from_args(context: Context, args: argparse.Namespace) -> Profile:
    """The profile the connection flags describe."""
    from composer.app.connect import choose_profile

    return choose_profile(
        context,
        args.profile,
        provider=args.provider,
        host=args.host,
        port=args.port,
        fallback_port=args.fallback_port,
        subaccount=args.subaccount,
        workspace=args.workspace,
        no_tls=args.no_tls,
        api=args.api,
        api_url=args.api_url,
    )


def send_options(args: argparse.Namespace, profile: Profile | None = None) -> SendOptions:
    from composer.transport.batch import SendOptions
    from composer.transport.profiles.store import DEFAULT_CONNECTIONS

    # A server's Retry-After is honoured up to the time the person allowed for an answer
    # (and never past a minute): beyond that the message gives up now, with the reason.
    cap = min(SendOptions.max_retry_after, float(args.final_timeout))
    connections = args.connections or (profile.connections if profile else DEFAULT_CONNECTIONS)
    return SendOptions(
        retries=args.retries,
        retry_delay=args.retry_delay,
        max_retry_after=cap,
        connections=connections,
    )


def session_args(args: argparse.Namespace) -> dict[str, Any]:
    """What open_session takes from the flags; where each connection went goes to stderr."""
    return {
        "ca_file": args.ca_file,
        "timeout": args.timeout,
        "final_timeout": args.final_timeout,
        "announce": announce,
    }


def announce(line: str) -> None:
    """Where the connection went (host:port), one line on stderr."""
    print(line, file=sys.stderr)
