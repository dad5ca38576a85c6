"""What every command's arguments must be before a handler runs, and how the commands read the
files and JSON they are given. Bad input is a ``UsageError``: exit 2, one line naming the flag.

- Text arguments are UTF-8. Python hands us bytes that are not UTF-8 as surrogate escapes
  (``\\udcff``); such a value would crash the first encoder it meets, or worse go out as-is,
  so it is refused here, for every command, naming the flag.
- Paths are the exception: on Linux a file name is bytes, and a name that is not UTF-8 is
  still a file the person can see. Flags in ``PATH_DESTS`` keep their raw bytes and are opened
  as they are; errors show them escaped (``jsonin.shown``). An attachment's own name becomes
  a MIME parameter, so that one must be text (attachfiles / the build say so).
- Durations are finite, above 0 and at most a day (``socket.settimeout`` overflows far above
  that). A per-command ``--timeout`` below the relay's documented minimum of 60 s (SparkPost
  SMTP relay client configuration, shared/seeds/000) is allowed, with a warning.
- ``COMPOSER_API_KEY`` is checked before anything is written, and never repeated.
"""

from __future__ import annotations

import argparse
import math
import os
import stat
import sys
from typing import Any

from composer.core import jsonin
from composer.core.errors import UsageError

__all__ = ["MAX_INPUT_BYTES", "RELAY_MIN_TIMEOUT", "check_args", "read_json", "read_text"]

# Body, address and draft files: the relay limit (core/problems.py MAX_MESSAGE_BYTES) bounds
# what could be sent, so a bigger input is refused before it is read.
MAX_INPUT_BYTES = 20_000_000
RELAY_MIN_TIMEOUT = 60.0  # "Per-command Timeout: Minimum 60 seconds" (shared/seeds/000, 004)
MAX_DURATION = 86_400.0
DURATIONS = ("timeout", "final_timeout", "retry_delay")
# Flags whose value is a path: raw bytes allowed (see the module note).
PATH_DESTS = frozenset(
    {
        "draft", "html", "markdown", "text", "amp", "plain_text", "attach", "seed_list",
        "cc_file", "bcc_file", "archive_file", "ca_file", "eml", "maildir", "tls_cert",
        "tls_key",
    }
)  # fmt: skip
# name: (lowest, highest); above either, a number is refused here rather than deep inside
# sqlite ("Python int too large") or a socket call.
_INT_RANGES = {
    "port": (0, 65535),
    "http_port": (0, 65535),
    "retries": (0, 20),
    "limit": (1, 100_000),
    "id": (1, 2**63 - 1),
}
# Files handed to the ssl module, which opens and reads them itself: a FIFO there would block
# the open, /dev/zero would never end. Checked before anything starts.
_LIBRARY_FILES = ("ca_file", "tls_cert", "tls_key")
_KEY_VAR = "COMPOSER_API_KEY"  # credentials.ENV_VAR; not imported, to keep start-up light


def option_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """dest -> the name a person typed: the long option, or the positional's metavar."""
    names: dict[str, str] = {}
    stack = [parser]
    while stack:
        p = stack.pop()
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend(action.choices.values())
                continue
            longs = [o for o in action.option_strings if o.startswith("--")]
            if longs:
                name = longs[0]
            elif action.option_strings:
                name = action.option_strings[0]
            else:
                name = str(action.metavar or action.dest).upper()
            names.setdefault(action.dest, name)
    return names


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse what no handler can use, before any handler runs (so nothing is written)."""
    names = option_names(parser)
    for dest, value in vars(args).items():
        flag = names.get(dest, f"--{dest.replace('_', '-')}")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and dest not in PATH_DESTS:
                _check_text(flag, item)
            elif isinstance(item, int) and not isinstance(item, bool) and dest in _INT_RANGES:
                low, high = _INT_RANGES[dest]
                if not low <= item <= high:
                    raise UsageError(f"{flag}: give a number from {low} to {high}")
    for dest in _LIBRARY_FILES:
        path = getattr(args, dest, None)
        if path is not None:
            _check_regular_file(names.get(dest, dest), path)
    for dest in DURATIONS:
        value = getattr(args, dest, None)
        if value is not None:
            _check_duration(names.get(dest, dest), value)
    if _uses_key(args):
        _check_env_key()
    timeout = getattr(args, "timeout", None)
    if timeout is not None and timeout < RELAY_MIN_TIMEOUT and not getattr(args, "dry_run", 0):
        print(
            f"warning: --timeout {timeout:g} is below the relay's documented minimum per-command "
            f"timeout of {RELAY_MIN_TIMEOUT:g} s; a slow but healthy relay may be cut off",
            file=sys.stderr,
        )


def _check_text(flag: str, value: str) -> None:
    try:
        jsonin.check_text(value)
    except jsonin.InputError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def _check_regular_file(flag: str, path: str) -> None:
    try:
        st = os.stat(path)
    except OSError:
        return  # missing or unreadable: the command's own check says so in its words
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{flag}: {jsonin.shown(path)}: not a regular file; give a PEM file")


def _check_duration(flag: str, value: float) -> None:
    if not math.isfinite(value) or value <= 0 or value > MAX_DURATION:
        raise UsageError(
            f"{flag}: give a number of seconds above 0 and at most {MAX_DURATION:g}"
        )


def _uses_key(args: argparse.Namespace) -> bool:
    command = getattr(args, "command", None)
    if command == "send":
        return not args.dry_run
    if command == "outbox":
        return getattr(args, "outbox_action", None) == "resume"
    return command == "profile"


def _check_env_key() -> None:
    """The key from the environment, checked by shape only: it is never shown, not even in
    part (an error line ends up in terminals, CI logs and bug reports)."""
    value = os.environ.get(_KEY_VAR)
    if not value or not value.strip():
        return
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise UsageError(f"{_KEY_VAR}: not valid UTF-8 (the key is not shown)")
    if any(ord(c) < 32 or ord(c) == 0x7F for c in value.strip()):
        raise UsageError(
            f"{_KEY_VAR}: holds a line break or control character; set it to the key alone, "
            "on one line (the key is not shown)"
        )


# --- reading files, standard input and JSON ----------------------------------------------------

_stdin_taken: list[str] = []  # the flag that read standard input: it can be read once


def read_text(flag: str, path: str, limit: int = MAX_INPUT_BYTES) -> str:
    """A UTF-8 text file (or standard input for '-'): a regular file of at most ``limit``
    bytes. A FIFO or device is refused without waiting on it; undecodable names are fine."""
    try:
        if path == "-":
            if _stdin_taken:
                raise UsageError(
                    f"{flag}: standard input is already read for {_stdin_taken[0]}; "
                    "give '-' to one flag only"
                )
            _stdin_taken.append(flag)
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:
                raise UsageError(f"{flag}: there is no standard input to read")
            return jsonin.decode_utf8(jsonin.read_limited(stream, limit))
        return jsonin.decode_utf8(jsonin.read_regular_file(path, limit))
    except jsonin.InputError as exc:
        where = "standard input" if path == "-" else jsonin.shown(path)
        raise UsageError(f"{flag}: {where}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{flag}: cannot read standard input: {exc.strerror or exc}") from None


def read_json(flag: str, text: str, *, lenient: bool = False) -> Any:
    """Strict JSON from a flag's value. ``lenient``: text that is not JSON at all comes back
    as it is (``--meta k=hello``); JSON holding what cannot be sent is still refused."""
    try:
        return jsonin.loads(text)
    except jsonin.JsonSyntaxError as exc:
        if lenient:
            return text
        raise UsageError(f"{flag}: {exc}") from None
    except jsonin.JsonValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None
