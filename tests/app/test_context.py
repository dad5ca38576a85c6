"""The Context (issue 13, item 7): one object says where the app keeps its files; nothing else
reads COMPOSER_HOME, the stores take their paths from it, and the self-test makes its own
instead of rewriting the environment."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

import composer
from composer.app.context import Context
from composer.core.draft import Draft

PACKAGE = Path(composer.__file__).parent


def test_composer_home_is_read_in_exactly_one_place() -> None:
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"environ(\.get)?[\[(]\s*[\"']COMPOSER_HOME|environ.*HOME_VAR", text):
            readers.append(str(path.relative_to(PACKAGE)))
    assert readers == ["app/context.py"]


def test_the_stores_live_where_the_context_says_whatever_the_environment(
    tmp_path: Path, composer_home: Path
) -> None:
    context = Context.at(tmp_path / "elsewhere")
    with context.history() as history:
        assert history.recent() == []
    with context.outbox() as outbox:
        assert outbox.pending() == []
    context.drafts().autosave("d1", Draft(), None)
    context.profiles().set_default("local")
    made = {p.name for p in (tmp_path / "elsewhere").rglob("*")}
    assert {"history.sqlite3", "outbox.sqlite3", "drafts", "profiles.json"} <= made
    assert list(composer_home.iterdir()) == []  # the environment's folder was never touched


def test_from_environment_reads_composer_home(composer_home: Path) -> None:
    assert Context.from_environment().paths.data == composer_home


def test_the_self_test_leaves_the_environment_alone(
    monkeypatch: pytest.MonkeyPatch, composer_home: Path
) -> None:
    """While it runs, another thread (the window, a log handler) must still see the person's
    COMPOSER_HOME: the old self-test pointed the whole process at its temporary folder."""
    import composer.selftest as selftest

    seen: list[str | None] = []

    def spy(*_args: object) -> str:
        other = threading.Thread(target=lambda: seen.append(os.environ.get("COMPOSER_HOME")))
        other.start()
        other.join(5)
        return "looked"

    monkeypatch.setattr(selftest, "_check_tls", spy)
    monkeypatch.setenv("COMPOSER_SELFTEST_GUI", "0")
    assert selftest.run_self_test() == 0
    assert seen == [str(composer_home)]
    assert list(composer_home.iterdir()) == []  # and wrote nothing there
