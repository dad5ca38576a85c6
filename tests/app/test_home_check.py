"""COMPOSER_HOME is checked once, where the Context is built, before anything touches the disk
(finding 9): a value that cannot hold Composer's files is exit 2 with one line naming the
variable, never exit 1, never a traceback, and nothing is written anywhere.

System folders (/proc, /sys, /dev) and an empty value are tried through ``check_home`` and
``Context.from_environment`` in this process only: no composer subprocess is ever pointed at
them (a bug there would chmod /proc, or write into the person's real folders)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from composer.app.context import Context, check_home
from composer.core.errors import BadHome, ExitCode

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX paths and FIFOs")


def a_file(tmp: Path) -> Path:
    (tmp / "file").write_text("not a folder")
    return tmp / "file"


def a_fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "fifo")
    return tmp / "fifo"


def a_link_to_a_file(tmp: Path) -> Path:
    (tmp / "link").symlink_to(a_file(tmp))
    return tmp / "link"


def a_link_to_nothing(tmp: Path) -> Path:
    (tmp / "dangling").symlink_to(tmp / "missing")
    return tmp / "dangling"


def under_a_file(tmp: Path) -> Path:
    return a_file(tmp) / "home" / "deeper"


BAD: dict[str, tuple[Callable[[Path], Path], str]] = {
    "file": (a_file, "is not a folder"),
    "fifo": (a_fifo, "is not a folder"),
    "link to a file": (a_link_to_a_file, "is not a folder"),
    "link to nothing": (a_link_to_nothing, "link to nothing"),
    "parent is a file": (under_a_file, "which is not a folder"),
}
SEND = ["send", "--from", "a@example.com", "--to", "b@example.com", "--subject", "S",
        "--text", "BODY", "--dry-run"]  # fmt: skip
COMMANDS = {"history": ("history",), "send --dry-run": tuple(SEND)}


def command(name: str, tmp: Path) -> list[str]:
    """The command's words, its body file written (a good command but for the home)."""
    (tmp / "body.txt").write_text("hi", encoding="utf-8")
    return [str(tmp / "body.txt") if word == "BODY" else word for word in COMMANDS[name]]


@pytest.mark.parametrize("name", COMMANDS, ids=str)
@pytest.mark.parametrize("case", BAD, ids=str)
def test_a_bad_composer_home_is_exit_2_and_one_line(
    run_composer, tmp_path: Path, case: str, name: str
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    make, words = BAD[case]
    home = make(scratch)
    before = sorted((p.name, p.lstat().st_mode) for p in scratch.rglob("*"))
    args = command(name, tmp_path)
    assert run_composer(*args).code == 0  # with the test's own home: the command is good
    r = run_composer(*args, env={"COMPOSER_HOME": str(home)})
    assert r.code == ExitCode.INVALID, (r.code, r.err)
    assert "Traceback" not in r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "COMPOSER_HOME" in lines[0] and words in lines[0], r.err
    assert "MAIL FROM" not in r.out  # the dry run did not go on without a home
    assert sorted((p.name, p.lstat().st_mode) for p in scratch.rglob("*")) == before


def test_send_json_reports_a_bad_home(run_composer, tmp_path: Path) -> None:
    bad = {"COMPOSER_HOME": str(a_file(tmp_path))}
    r = run_composer(*command("send --dry-run", tmp_path), "--json", env=bad)
    assert r.code == ExitCode.INVALID, r.err
    assert "COMPOSER_HOME" in r.out and "Traceback" not in r.err


@pytest.mark.parametrize(
    "value",
    ["/proc", "/proc/composer-never-made", "/proc/self/cwd", "/sys", "/sys/composer-never-made",
     "/dev", "/dev/null", "/dev/shm/composer-never-made", "/dev/../proc/x"],
)  # fmt: skip
def test_system_folders_are_refused_by_the_check(value: str) -> None:
    with pytest.raises(BadHome, match=r"COMPOSER_HOME=.* is under /(proc|sys|dev), a system"):
        check_home(value)


def test_a_link_to_a_system_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "looks-fine").symlink_to("/proc")
    (tmp_path / "deeper").symlink_to("/sys/kernel")
    proc_mode = os.stat("/proc").st_mode
    for link in ("looks-fine", "deeper"):
        with pytest.raises(BadHome, match="a system folder"):
            check_home(str(tmp_path / link))
    assert os.stat("/proc").st_mode == proc_mode


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_home_is_refused_not_the_real_folders(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("COMPOSER_HOME", value)
    with pytest.raises(BadHome, match="COMPOSER_HOME is empty") as caught:
        Context.from_environment()
    assert caught.value.exit_code == ExitCode.INVALID


def test_good_homes_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert check_home(str(tmp_path / "real")) == tmp_path / "real"
    assert check_home(str(tmp_path / "link")) == tmp_path / "link"  # a link to a folder
    assert check_home(str(tmp_path / "new" / "deeper")) == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking made nothing
    monkeypatch.chdir(tmp_path)
    assert check_home("real") == tmp_path / "real"  # absolute: a later chdir changes nothing
    monkeypatch.delenv("COMPOSER_HOME")
    assert Context.from_environment().paths.data.name == "Composer"  # unset: the platform's
