"""``composer send``: the choice of road (SMTP or the REST Transmissions API) and what only REST
carries (substitution data). The draft, its validation and its bytes are the same either way.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from composer.core.build import OutgoingMessage
from composer.core.errors import UsageError

__all__ = [
    "add_api_arguments",
    "check_api_args",
    "print_transmissions",
    "substitution_data",
    "transmissions",
]


def add_api_arguments(options: Any, connection: Any) -> None:
    options.add_argument(
        "--substitution-data",
        metavar="JSON",
        help="REST only: a JSON object for {{...}} substitution in headers and body parts",
    )
    connection.add_argument(
        "--api",
        choices=["smtp", "rest"],
        help="send over SMTP or the REST Transmissions API (default: the profile's; with "
        "--dry-run, rest prints the request body)",
    )
    connection.add_argument(
        "--api-url",
        metavar="URL",
        help="REST API base URL (SparkPost Enterprise: https://yourdomain.api.e.sparkpost.com"
        "/api/v1)",
    )


def substitution_data(args: argparse.Namespace) -> dict[str, Any] | None:
    if args.substitution_data is None:
        return None
    from composer.cli.args import read_json

    value = read_json("--substitution-data", args.substitution_data)  # strict: sendable JSON
    if not isinstance(value, dict):
        raise UsageError('--substitution-data: must be a JSON object, like {"name": "Ann"}')
    return value


def check_api_args(args: argparse.Namespace, api: str) -> None:
    """Flags that mean nothing on the road chosen: refused, rather than silently ignored."""
    if api == "rest":
        return
    if args.substitution_data is not None:
        raise UsageError(
            "--substitution-data: only the REST API uses substitution data (the SMTP API "
            "ignores it); add --api rest"
        )
    if args.api_url is not None:
        raise UsageError("--api-url: is the REST API's address; add --api rest")


def transmissions(
    messages: list[OutgoingMessage], subst: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Every request body, built before anything is sent: a draft REST cannot carry (archive
    recipients) fails here with exit 2, not halfway through a batch."""
    from composer.transport.rest.payload import transmission

    return [transmission(m, substitution_data=subst) for m in messages]


def print_transmissions(bodies: list[dict[str, Any]]) -> None:
    """The dry run of a REST send: each request body, as it would be POSTed (no key)."""
    for i, body in enumerate(bodies):
        if i:
            sys.stdout.write("\n")
        sys.stdout.write("POST /transmissions\n" + json.dumps(body, indent=2) + "\n")
    sys.stdout.flush()
