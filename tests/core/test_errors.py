"""One exception tree (core/errors.py): every error a person can see is a ComposerError defined
there, and its exit code comes from its class, nowhere else (the 0/2/3/4 contract)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import composer
from composer.core import errors
from composer.core.errors import ComposerError, ExitCode, describe
from composer.core.outcome import Status

# Defined next to the data they carry, and drawn in the tree's docstring all the same.
BESIDE_THEIR_DATA = {"composer.store.outbox_items.StillInOutbox"}


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(composer.__path__, "composer."):
        skip = ("composer.gui", "composer.cli.window", "composer.selftest", "composer.__main__")
        if info.name.startswith(skip):
            continue  # Qt; the window's errors are its own dialogs, not exit codes
        names.append(info.name)
    return names


def test_every_public_error_lives_in_the_one_tree() -> None:
    stray = []
    for name in _modules():
        module = importlib.import_module(name)
        for cls_name, cls in vars(module).items():
            if not inspect.isclass(cls) or cls.__module__ != name:
                continue
            where = f"{name}.{cls_name}"
            if issubclass(cls, ComposerError) and name != "composer.core.errors":
                stray.append(where)
    assert sorted(set(stray) - BESIDE_THEIR_DATA) == []


def test_every_class_carries_a_documented_exit_code() -> None:
    tree = [c for c in vars(errors).values() if inspect.isclass(c) and issubclass(c, ComposerError)]
    assert len(tree) >= 20
    for cls in tree:
        assert cls.exit_code in (ExitCode.INVALID, ExitCode.REFUSED, ExitCode.INCOMPLETE), cls
        if not cls.__name__.startswith("_"):
            assert cls.__name__ in errors.__doc__, f"{cls.__name__} is not drawn in the tree"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.UsageError("--to: not an address"), 2),
        (errors.InvalidDraft([]), 2),
        (errors.DraftFormatError("subject", "must be text"), 2),
        (errors.HeaderError("the message has a bare CR or LF"), 2),
        (errors.PayloadError("archive", "no archive over REST"), 2),
        (errors.ProfileError("host", "is required"), 2),
        (errors.KeyringUnavailable("no D-Bus session"), 2),
        (errors.DraftSaveError("disk full"), 4),
        (errors.RelayStartError("port in use"), 4),
        (errors.ConnectError("cannot reach"), 4),
        (errors.TLSError("not trusted"), 4),
        (errors.PeerProtocolError("garbage"), 4),
        (errors.SetupFailed("no greeting"), 4),
        (errors.OutcomeUnknown("no final reply"), 4),
        (errors.Cancelled("cancelled"), 4),
        (errors.RelayRefused("550"), 3),
        (errors.AuthFailed("535"), 3),
    ],
)
def test_describe_gives_the_class_code_and_one_line(exc: ComposerError, code: int) -> None:
    got, line = describe(exc)
    assert got == code
    assert "\n" not in line


def test_anything_else_is_a_bug_with_one_line() -> None:
    code, line = describe(KeyError("x"))
    assert code == ExitCode.BUG
    assert line.startswith("Composer hit an internal problem: KeyError")


def test_status_values_are_the_stored_strings() -> None:
    # SQLite rows and --json reports written before the enum must still read the same.
    stored = ["queued", "sending", "awaiting", "sent", "failed", "unknown", "cancelled"]
    assert [s.value for s in Status] == stored
    assert Status("unknown") is Status.UNKNOWN and Status.SENT == "sent"
