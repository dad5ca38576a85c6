"""Shared test set-up: headless Qt, an isolated COMPOSER_HOME for every test, and thin fixtures
over the shared parts in tests/support/."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support import cli
from support.keyrings import Backend, MemoryKeyring, using_keyring
from support.net import ConnectionCounter

from composer.app.context import Context

# Tests only: the app itself never disables the QtWebEngine sandbox.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def composer_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "composer-home"
    home.mkdir(mode=0o700)  # as Composer makes it; tests of an open home loosen it themselves
    monkeypatch.setenv("COMPOSER_HOME", str(home))
    monkeypatch.delenv("COMPOSER_API_KEY", raising=False)
    return home


@pytest.fixture
def context(composer_home: Path) -> Context:
    """The app's Context on the test's own COMPOSER_HOME (what `composer` itself would make)."""
    return Context.at(composer_home)


@pytest.fixture
def run_composer(composer_home: Path, tmp_path: Path) -> Callable[..., cli.Result]:
    """Run the real, installed `composer` command in a subprocess (support.cli.run_composer)."""

    def run(*args: str, **kwargs: object) -> cli.Result:
        return cli.run_composer(composer_home, tmp_path, *args, **kwargs)  # type: ignore[arg-type]

    return run


@pytest.fixture
def window(context: Context, qtbot, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """The main window, shown; at teardown no background task or send thread may be left."""
    from support.gui import main_window  # here, not above: only window tests import Qt

    with main_window(qtbot, monkeypatch, context) as w:
        yield w


@pytest.fixture
def use_keyring() -> Iterator[Callable[[Backend], Backend]]:
    """``use_keyring(backend)`` makes it the keyring for this test only."""
    with using_keyring() as use:
        yield use


@pytest.fixture
def memory_keyring(use_keyring: Callable[[Backend], Backend]) -> MemoryKeyring:
    backend = MemoryKeyring()
    use_keyring(backend)
    return backend


@pytest.fixture
def listener() -> Iterator[ConnectionCounter]:
    """A loopback port that counts every connection made to it (none is the usual hope)."""
    with ConnectionCounter() as counter:
        yield counter


@pytest.fixture
def shared_templates() -> Path:
    folder = SHARED / "templates"
    if not folder.is_dir():
        pytest.skip(f"real templates not found at {folder} (the shared/ folder is absent)")
    return folder
