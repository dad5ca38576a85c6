"""``composer``: the window, and the command-line tools beside it.

Exit codes are part of the contract (scripts rely on them), core.errors.ExitCode:

    0  success
    1  a bug in Composer itself (the traceback is in the log; --debug prints it)
    2  invalid input or usage: nothing was written or sent
    3  refused by the relay (a 5xx, including authentication)
    4  could not complete (network, TLS, timeouts, retries exhausted, outcome unknown)
    5  a pre-send check found an error (composer check; composer send --strict, nothing sent)

``composer events`` reads them for delivery: 3 a recipient bounced or was rejected, 4 some
recipient's fate is still unknown (not final yet, or the Events API could not be asked).

Every error's code is its class's ``exit_code`` (core.errors), read by ``describe``.

No traceback reaches a person unless they ask for it with ``--debug``. Exit 2 is always one
line on stderr naming the flag, file or field; what every command's input must be (UTF-8 text,
finite positive durations, regular files of bounded size, sendable JSON) is in ``args.py``.

Every command's handler takes ``(context, args)``: the one ``Context`` ``main`` makes
(composer.app.context: the folders, the stores, the keys), never a global of its own.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import traceback
from collections.abc import Callable, Sequence

from composer import __version__
from composer.app.context import Context
from composer.core.errors import ComposerError, ExitCode, InvalidDraft, describe
from composer.store.paths import use_private_umask

log = logging.getLogger("composer")


# argparse quotes the value it refuses; a 4400-digit number would make a 4400-character line
_LONG_QUOTED = re.compile(r"'([^'\n]{40})[^'\n]{20,}'")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line, as for every other bad input; the usage of `send` alone is 30 lines.
        message = _LONG_QUOTED.sub(r"'\1…'", message)
        self.exit(ExitCode.INVALID, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The whole parser; without ``commands`` only the options of plain ``composer`` (the
    window), which spares it importing every command's module (and the transport layer)."""
    parser = _Parser(
        prog="composer",
        description="Compose, preview and send mail through the SparkPost / Bird relay. "
        "With no command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"composer {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation headless (send to the local relay, read it back) and exit",
    )
    if not commands:
        parser.set_defaults(command=None)
        return parser
    from composer.cli import check, events, history, profile, relay, send
    from composer.cli import outbox as outbox_cli

    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    send.add_parser(sub)
    check.add_parser(sub)
    relay.add_parser(sub)
    profile.add_parser(sub)
    history.add_parser(sub)
    events.add_parser(sub)
    outbox_cli.add_parser(sub)
    from composer.cli import templates as templates_cli

    templates_cli.add_parsers(sub)  # `composer templates`, `composer new`
    return parser


def _setup_logging(debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG if debug else logging.WARNING)


def _log_traceback(context: Context, exc: BaseException) -> str | None:
    """Write the traceback to the log file; return its path (or None if that failed too)."""
    try:
        logs = context.paths.logs
        logs.mkdir(parents=True, exist_ok=True)
        path = logs / "composer.log"
        with open(path, "a", encoding="utf-8") as f:
            f.write("".join(traceback.format_exception(exc)))
        return str(path)
    except OSError:
        return None


Handler = Callable[[Context, argparse.Namespace], int]


def run(handler: Handler, context: Context, args: argparse.Namespace) -> int:
    """Run one command with the one error route: a clear line on stderr, the right code."""
    try:
        return handler(context, args)
    except InvalidDraft as exc:
        for problem in exc.problems:
            if problem.is_error:
                print(f"error: {problem}", file=sys.stderr)
        return exc.exit_code
    except ComposerError as exc:
        if args.debug:
            traceback.print_exc()
        code, line = describe(exc)
        print(f"error: {line}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`composer history | head`): not an error worth a word.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        where = _log_traceback(context, exc)
        hint = f" (details in {where})" if where else ""
        code, line = describe(exc)
        print(f"error: {line}{hint}", file=sys.stderr)
        return code


def _report_failure(args: argparse.Namespace, exc: ComposerError) -> None:
    """A command whose --json promises a report on every failure (send) names its maker."""
    failure_report = getattr(args, "json_failure_report", None)
    if failure_report is not None and getattr(args, "json", False):
        dry_run = getattr(args, "dry_run", False)
        print(json.dumps(failure_report([], exc, dry_run), indent=2))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    use_private_umask()  # before anything is written: files 0600, folders 0700 (issue 12)
    # Plain `composer` opens the window: its start-up does not wait for the commands' parsers.
    window_only = all(a.startswith("-") for a in argv) and not {"-h", "--help"} & set(argv)
    args, unknown = build_parser(commands=not window_only).parse_known_args(argv)
    if unknown:  # the full parser says what is wrong, with every command in its usage
        args = build_parser().parse_args(argv)
    _setup_logging(args.debug)
    try:
        context = Context.from_environment()  # the one place the app's folders are chosen
    except ComposerError as exc:  # a bad COMPOSER_HOME: refused before anything is written
        _report_failure(args, exc)
        code, line = describe(exc)
        print(f"error: {line}", file=sys.stderr)
        return code
    if args.self_test:
        from composer.selftest import run_self_test

        return run(run_self_test, context, args)
    if args.command is None:
        from composer.cli.window import open_window

        return run(open_window, context, args)
    parser = build_parser()

    def checked(context: Context, args: argparse.Namespace) -> int:
        from composer.cli.args import check_args

        try:
            check_args(parser, args)  # every command's input, before its handler writes anything
        except ComposerError as exc:
            _report_failure(args, exc)
            raise
        return int(args.handler(context, args))

    return run(checked, context, args)
