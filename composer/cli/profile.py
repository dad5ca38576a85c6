"""``composer profile``: add, edit (profile_edit.py), list, show, remove and choose sending
profiles.

API keys are read from a hidden prompt or from standard input (``--key-stdin``), never from a
command-line argument: arguments end up in shell history and in ``ps`` for every user to see.
They go to the system keyring only (composer.transport.profiles.credentials); the profiles
file never holds one.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from argparse import SUPPRESS
from typing import Any

from composer.app.context import Context
from composer.cli.profile_edit import add_clients_argument, add_edit_parser, clients_arg
from composer.core.errors import CredentialsError, ExitCode, UsageError
from composer.transport.profiles import credentials
from composer.transport.profiles.providers import PRESETS, Provider
from composer.transport.profiles.store import Profile

__all__ = ["add_parser", "run_test"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "profile",
        help="manage sending profiles (relay, login, API key in the system keyring)",
        description="Sending profiles. API keys live in the system keyring (or "
        f"{credentials.ENV_VAR} for automation), never in a file or on the command line.",
    )
    cmds = p.add_subparsers(dest="profile_command", metavar="ACTION", parser_class=type(p))
    cmds.required = True

    # allow_abbrev=False: otherwise argparse would take "--key" as short for "--key-stdin"
    add = cmds.add_parser("add", help="add a profile (asks for the API key)", allow_abbrev=False)
    add.set_defaults(handler=run_add)
    add.add_argument("name")
    add.add_argument(
        "--provider", required=True, choices=[v.value for v in Provider], metavar="PROVIDER",
        help="one of: " + ", ".join(f"{v.value} ({PRESETS[v].label})" for v in Provider),
    )  # fmt: skip
    add.add_argument("--host", help="relay host (default: the provider's; required for custom)")
    add.add_argument("--port", type=int, help="default 587 (the local relay: 8025)")
    add.add_argument("--subaccount", metavar="ID", help="SparkPost subaccount id (digits)")
    add.add_argument("--workspace", metavar="ID", help="Bird workspace id (required for Bird)")
    add.add_argument("--from", dest="default_from", metavar="ADDR", help="default sender")
    add.add_argument(
        "--api", choices=["smtp", "rest"], default=None,
        help="send over SMTP (default) or the REST Transmissions API (not for Bird)",
    )  # fmt: skip
    add.add_argument(
        "--api-url", metavar="URL",
        help="REST API base URL: required for custom (Enterprise: https://yourdomain.api.e."
        "sparkpost.com/api/v1); the provider's own otherwise",
    )  # fmt: skip
    add.add_argument(
        "--tls", action=argparse.BooleanOptionalAction, default=None,
        help="STARTTLS (default on; --no-tls only for a relay on this computer)",
    )  # fmt: skip
    add.add_argument(
        "--key-stdin", action="store_true",
        help="read the API key from the first line of standard input instead of a prompt",
    )  # fmt: skip
    add.add_argument(
        "--connections", metavar="N", type=int, default=None,
        help="connections a send opens at once, 1-20 (default 4)",
    )  # fmt: skip
    add.add_argument("--replace", action="store_true", help="replace a profile of that name")
    add_clients_argument(add)
    add_edit_parser(cmds)

    key = cmds.add_parser(
        "set-key", help="store (or replace) a profile's API key", allow_abbrev=False
    )
    key.set_defaults(handler=run_set_key)
    key.add_argument("name")
    key.add_argument("--key-stdin", action="store_true", help="read the key from standard input")
    key.add_argument(
        "--events",
        action="store_true",
        help="store the profile's events key (one with the 'Events Search: Read Only' "
        "permission) for `composer events`, beside its sending key",
    )
    for parser in (add, key):
        # Not an option: a trap. argparse's own "unrecognized arguments" error would echo the
        # key to stderr (and into CI logs); this refuses it without repeating it.
        parser.add_argument("--key", "--api-key", nargs="?", action=_RefuseKey, help=SUPPRESS)

    lst = cmds.add_parser("list", help="list profiles (* marks the default)")
    lst.set_defaults(handler=run_list)
    show = cmds.add_parser("show", help="show one profile (never the key)")
    show.set_defaults(handler=run_show)
    show.add_argument("name")
    rm = cmds.add_parser("remove", help="remove a profile and its stored key")
    rm.set_defaults(handler=run_remove)
    rm.add_argument("name")
    default = cmds.add_parser("default", help="make a profile the default")
    default.set_defaults(handler=run_default)
    default.add_argument("name")
    test = cmds.add_parser("test", help="log in to the relay with a profile; sends nothing")
    test.set_defaults(handler=run_test)
    test.add_argument("name")
    test.add_argument("--ca-file", metavar="FILE", help="trust this CA too (a private relay)")
    test.add_argument("--timeout", metavar="SECONDS", type=float, default=60.0)


class _RefuseKey(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, *_: Any, **__: Any) -> None:
        parser.error(
            f"{self.option_strings[0]}: API keys are never taken on the command line (shell "
            "history and the process list would keep them); use --key-stdin or the prompt"
        )


# --- reading a key: prompt or stdin, never argv ----------------------------------------------


def _read_key(name: str, key_stdin: bool) -> str | None:
    """The key typed or piped in; None when there is no way to ask (not a terminal)."""
    if key_stdin:
        line = _key_line()
        if not line.strip():
            raise UsageError("--key-stdin: standard input held no API key")
        return line.strip()
    if sys.stdin is None or not sys.stdin.isatty():
        return None
    key = getpass.getpass(f"API key for profile '{name}' (input hidden): ")
    if not key.strip():
        raise UsageError("no API key entered; nothing was saved")
    return key.strip()


def _key_line() -> str:
    """The first line of standard input, as bytes checked here: an error must never repeat
    it, and Python's own decoding would either raise (exit 1) or pass surrogates on."""
    stream = getattr(sys.stdin, "buffer", None)
    raw = stream.readline(4096) if stream is not None else b""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("--key-stdin: the API key is not valid UTF-8 (it is not shown)") from None


def _missing_key_hint(name: str) -> str:
    return (
        f"profile '{name}' has no API key yet: run `composer profile set-key {name}` "
        f"(or pipe it in with --key-stdin), or set {credentials.ENV_VAR}"
    )


# --- handlers ----------------------------------------------------------------------------------


def run_add(context: Context, args: argparse.Namespace) -> int:
    clients = clients_arg(args.clients)
    store = context.profiles()
    profile = Profile.new(
        args.name,
        args.provider,
        host=args.host,
        port=args.port,
        subaccount=args.subaccount,
        workspace=args.workspace,
        default_from=args.default_from,
        tls=args.tls,
        api=args.api,
        api_url=args.api_url,
        connections=args.connections,
        clients=clients,
    )
    if args.name in store and not args.replace:
        raise UsageError(f"a profile named '{args.name}' already exists; add --replace")
    if not profile.needs_key and args.key_stdin:
        raise UsageError(f"--key-stdin: provider {profile.provider} needs no API key")
    key = _read_key(profile.name, args.key_stdin) if profile.needs_key else None
    # Key first: if the keyring refuses it, nothing has been written (exit 2 means that).
    if key is not None:
        context.credentials.set_api_key(profile.name, key)
    store.add(profile, replace=args.replace)
    print(f"saved profile '{profile.name}' ({_where(profile)})")
    if key is not None:
        print("API key stored in the system keyring")
    elif profile.needs_key:
        print(_missing_key_hint(profile.name), file=sys.stderr)
    if profile.preset.note and profile.provider is Provider.CUSTOM:
        print(f"note: {profile.preset.note}", file=sys.stderr)
    return ExitCode.OK


def run_set_key(context: Context, args: argparse.Namespace) -> int:
    profile = context.profiles().get(args.name)
    if not profile.needs_key:
        raise UsageError(f"profile '{profile.name}' ({profile.provider}) needs no API key")
    key = _read_key(profile.name, args.key_stdin)
    if key is None:
        raise UsageError("standard input is not a terminal: pipe the key in with --key-stdin")
    if getattr(args, "events", False):
        context.credentials.set_events_key(profile.name, key)
        print(f"events key for profile '{profile.name}' stored in the system keyring")
        return ExitCode.OK
    context.credentials.set_api_key(profile.name, key)
    print(f"API key for profile '{profile.name}' stored in the system keyring")
    return ExitCode.OK


def _where(p: Profile) -> str:
    """Where a send goes: host:port over SMTP, the API URL over REST."""
    if p.api == "rest":
        return f"REST {p.rest_url or 'local sandbox endpoint'}"
    return f"{p.host}:{p.port}"


def _status(context: Context, profile: Profile) -> str:
    return context.credentials.key_status(profile.name) if profile.needs_key else "not needed"


def run_list(context: Context, args: argparse.Namespace) -> int:
    store = context.profiles()
    default = store.default_name
    profiles = store.list()
    rows = [
        ("*" if p.name == default else " ", p.name, p.provider.value, _where(p)) for p in profiles
    ]
    widths = [max([len(r[i]) for r in rows], default=0) for i in range(4)]
    for row, p in zip(rows, profiles, strict=True):
        cells = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        print(f"{cells}  key: {_status(context, p)}")
    return ExitCode.OK


def run_show(context: Context, args: argparse.Namespace) -> int:
    store = context.profiles()
    p = store.get(args.name)
    password = "AccessKey <API key>" if p.preset.workspace else "<API key>"
    ports = " then ".join(str(n) for n in p.ports)
    lines = [
        ("name", p.name),
        ("provider", f"{p.provider.value} ({p.preset.label})"),
        ("host", p.host),
        ("port", ports),
        ("tls", "STARTTLS required" if p.tls else "off (this computer only)"),
        ("api", "REST (Transmissions API)" if p.api == "rest" else "SMTP"),
        ("api url", p.rest_url or ("local sandbox endpoint" if p.api == "rest" else "-")),
        ("username", p.username),
        ("password", password if p.needs_key else "none"),
        ("subaccount", p.subaccount or "-"),
        ("workspace", p.workspace or "-"),
        ("from", p.default_from or "-"),
        ("clients", ",".join(p.clients) if p.clients else "default"),
        ("default", "yes" if store.default_name == p.name else "no"),
        ("api key", _status(context, p)),
    ]
    if p.preset.note:
        lines.append(("note", p.preset.note))
    for label, value in lines:
        print(f"{label + ':':<12}{value}")
    return ExitCode.OK


def run_remove(context: Context, args: argparse.Namespace) -> int:
    store = context.profiles()
    profile = store.get(args.name)
    removed_key = False
    if profile.needs_key:
        try:
            removed_key = context.credentials.delete_api_key(profile.name)
        except CredentialsError as exc:
            # Still remove the profile (that is what was asked), but say the key may remain.
            print(
                f"warning: could not remove the stored key (keyring entry "
                f"'{credentials.SERVICE}' / '{profile.name}'): {exc}",
                file=sys.stderr,
            )
    store.remove(profile.name)
    extra = " and its API key" if removed_key else ""
    print(f"removed profile '{profile.name}'{extra}; default: {store.default_name or 'none'}")
    return ExitCode.OK


def run_default(context: Context, args: argparse.Namespace) -> int:
    context.profiles().set_default(args.name)
    print(f"default profile: {args.name}")
    return ExitCode.OK


def run_test(context: Context, args: argparse.Namespace) -> int:
    """Connect, STARTTLS, AUTH LOGIN, QUIT — or over REST one authenticated GET: sends
    nothing; says which step failed."""
    from composer.app.profile_test import test_profile

    profile = context.profiles().get(args.name)
    steps = test_profile(context, profile, ca_file=args.ca_file, timeout=args.timeout)
    marks = {True: "ok  ", False: "FAIL", None: "-   "}
    for step in steps:
        print(f"{marks[step.ok]} {step.name:<11} {step.detail}")
    if all(step.ok is not False for step in steps):
        print(f"profile '{profile.name}' works: nothing was sent")
        return ExitCode.OK
    failed = next(step for step in steps if step.ok is False)
    refused = failed.name in ("AUTH LOGIN", "API key")
    return ExitCode.REFUSED if refused else ExitCode.INCOMPLETE
