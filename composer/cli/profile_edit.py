"""``composer profile edit NAME``: change a saved profile's settings in place (the API key stays
in the keyring, untouched; the provider cannot change, as the key belongs to it). Only the flags
given change anything; the result is validated as a whole before anything is written.

``--clients`` (also on ``profile add``) sets the email clients the pre-send checks target for
this profile (caniemail ids, comma-separated); ``--clients default`` goes back to the default
set. ``composer check`` / ``send`` and the window's Checks tab use them unless ``--clients``
names others.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from composer.app.context import Context
from composer.core.errors import ExitCode, UsageError

__all__ = ["add_clients_argument", "add_edit_parser", "clients_arg"]

RESET = "default"


def add_clients_argument(parser: Any) -> None:
    parser.add_argument(
        "--clients",
        metavar="IDS",
        help="email clients the checks target, comma-separated caniemail ids like "
        f"gmail.ios,outlook.windows ('{RESET}': the default set; list: composer check --help)",
    )


def clients_arg(text: str | None) -> tuple[str, ...] | None:
    """``--clients`` as given: None when not given, () for 'default', else the checked ids
    (UsageError naming the flag for an unknown id: exit 2)."""
    from composer.app.checks import parse_clients

    if text is None:
        return None
    if text.strip().lower() == RESET:
        return ()
    return parse_clients(text, "--clients")


def add_edit_parser(cmds: Any) -> None:
    edit = cmds.add_parser(
        "edit",
        help="change a profile's settings (the API key stays as it is)",
        allow_abbrev=False,
    )
    edit.set_defaults(handler=run_edit)
    edit.add_argument("name")
    edit.add_argument("--host", help="relay host")
    edit.add_argument("--port", type=int, help="relay port")
    edit.add_argument("--subaccount", metavar="ID", help="SparkPost subaccount id ('' for none)")
    edit.add_argument("--workspace", metavar="ID", help="Bird workspace id")
    edit.add_argument("--from", dest="default_from", metavar="ADDR", help="default sender")
    edit.add_argument("--api", choices=["smtp", "rest"], default=None, help="SMTP or REST")
    edit.add_argument("--api-url", metavar="URL", help="REST API base URL ('' for the default)")
    edit.add_argument(
        "--tls", action=argparse.BooleanOptionalAction, default=None, help="STARTTLS"
    )
    edit.add_argument(
        "--connections", metavar="N", type=int, default=None,
        help="connections a send opens at once, 1-20",
    )  # fmt: skip
    add_clients_argument(edit)


def run_edit(context: Context, args: argparse.Namespace) -> int:
    clients = clients_arg(args.clients)  # before anything else: a typo is exit 2, nothing read
    store = context.profiles()
    profile = store.get(args.name)
    changes: dict[str, Any] = {
        key: getattr(args, key)
        for key in ("host", "port", "default_from", "api", "tls", "connections", "workspace")
        if getattr(args, key) is not None
    }
    for key in ("subaccount", "api_url"):  # '' clears them
        value = getattr(args, key)
        if value is not None:
            changes[key] = value or None
    if clients is not None:
        changes["clients"] = clients
    if not changes:
        raise UsageError("profile edit: give at least one setting to change, like --clients")
    edited = replace(profile, **changes)  # validated as a whole (Profile.__post_init__)
    store.add(edited, replace=True)
    said = ", ".join(sorted(changes))
    print(f"saved profile '{edited.name}' ({said} changed)")
    return ExitCode.OK
