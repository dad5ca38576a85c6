"""`composer profile …`, the real command in a subprocess.

The subprocesses get `PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring`: with no keyring the
outcome is the same on a laptop with an unlocked desktop keyring and on a bare CI runner, and no
test can touch a developer's real keyring. The path that stores a key for real is covered by
tests/transport/test_keyring_real.py.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

KEY = "5eC12e7c0ffee5eC12e7c0ffee5eC12e7c0ffee0"
NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


@pytest.fixture
def profile(run_composer):
    def run(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None, **kw: float):
        return run_composer("profile", *args, stdin=stdin, env={**NO_KEYRING, **(env or {})},
                            **kw)  # fmt: skip

    return run


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def assert_key_nowhere(root: Path, *outputs: str) -> None:
    for f in files_under(root):
        assert KEY.encode() not in f.read_bytes(), f"the key was written to {f}"
    for text in outputs:
        assert KEY not in text


def profiles_file(home: Path) -> Path:
    return home / "config" / "profiles.json"


def test_a_fresh_install_lists_the_local_profile(profile, composer_home: Path) -> None:
    r = profile("list")
    assert r.code == 0, r.err
    assert r.out.split() == ["*", "local", "local", "127.0.0.1:8025", "key:", "not", "needed"]
    assert files_under(composer_home) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--key", KEY],
        [f"--key={KEY}"],
        ["--api-key", KEY],
        ["--key"],
    ],
)
def test_there_is_no_way_to_give_a_key_on_the_command_line(
    profile, composer_home: Path, args: list[str]
) -> None:
    r = profile("add", "x", "--provider", "sparkpost", *args)
    assert r.code == 2
    assert "API keys are never taken on the command line" in r.err
    assert "--key-stdin" in r.err
    assert_key_nowhere(composer_home, r.out, r.err)
    assert files_under(composer_home) == []


def test_the_plain_key_flag_exits_2(profile) -> None:
    assert profile("add", "x", "--provider", "sparkpost", "--key", "abc").code == 2
    assert profile("set-key", "x", "--key", "abc").code == 2


@pytest.mark.parametrize(
    "backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"]
)
def test_key_stdin_without_a_keyring_fails_clearly_and_writes_nothing(
    profile, composer_home: Path, backend: str
) -> None:
    r = profile(
        "add", "prod", "--provider", "sparkpost", "--key-stdin",
        stdin=f"{KEY}\n".encode(), env={"PYTHON_KEYRING_BACKEND": backend},
    )  # fmt: skip
    assert r.code == 2, r.err
    assert "error: No unlocked system keyring is available" in r.err
    assert "set COMPOSER_API_KEY" in r.err
    assert "Traceback" not in r.err
    assert_key_nowhere(composer_home, r.out, r.err)
    assert files_under(composer_home) == []  # no profile either: exit 2 means nothing written


def test_key_stdin_with_nothing_on_stdin(profile, composer_home: Path) -> None:
    r = profile("add", "prod", "--provider", "sparkpost", "--key-stdin", stdin=b"\n")
    assert r.code == 2
    assert "standard input held no API key" in r.err
    assert files_under(composer_home) == []


def test_non_interactive_add_saves_the_profile_and_says_the_key_is_missing(
    profile, composer_home: Path
) -> None:
    r = profile("add", "prod", "--provider", "sparkpost", "--subaccount", "123")
    assert r.code == 0, r.err
    assert "saved profile 'prod' (smtp.sparkpostmail.com:587)" in r.out
    assert "has no API key yet" in r.err
    assert "composer profile set-key prod" in r.err
    doc = json.loads(profiles_file(composer_home).read_text())
    assert [p["name"] for p in doc["profiles"]] == ["local", "prod"]

    r = profile("list")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0].split()[:4] == ["*", "local", "local", "127.0.0.1:8025"]
    assert lines[1].split()[:3] == ["prod", "sparkpost", "smtp.sparkpostmail.com:587"]
    assert "key: keyring unavailable: no keyring backend found" in lines[1]

    r = profile("list", env={"COMPOSER_API_KEY": KEY})
    assert "key: from COMPOSER_API_KEY" in r.out
    assert_key_nowhere(composer_home, r.out, r.err)


def test_show_gives_the_login_form_and_never_a_key(profile, composer_home: Path) -> None:
    assert profile("add", "eu", "--provider", "bird-eu", "--workspace", "ws-42").code == 0
    r = profile("show", "eu", env={"COMPOSER_API_KEY": KEY})
    assert r.code == 0, r.err
    fields = dict(line.split(":", 1) for line in r.out.splitlines())
    fields = {k: v.strip() for k, v in fields.items()}
    assert fields["provider"] == "bird-eu (Bird EU)"
    assert fields["host"] == "smtp.email.eu-west-1.api.bird.com"
    assert fields["port"] == "587 then 2525"
    assert fields["tls"] == "STARTTLS required"
    assert fields["username"] == "SMTP_Injection:x-bird-workspace-id=ws-42"
    assert fields["password"] == "AccessKey <API key>"
    assert fields["default"] == "no"
    assert fields["api key"] == "from COMPOSER_API_KEY"
    assert_key_nowhere(composer_home, r.out, r.err)


def test_show_a_sparkpost_subaccount(profile) -> None:
    add = profile("add", "sub", "--provider", "sparkpost-eu", "--subaccount", "77",
                  "--from", "Ann <ann@example.com>")  # fmt: skip
    assert add.code == 0, add.err
    r = profile("show", "sub")
    assert "SMTP_Injection:X-MSYS-SUBACCOUNT=77" in r.out
    assert "from:       Ann <ann@example.com>" in r.out
    assert "api key:    keyring unavailable:" in r.out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--provider", "bird"], "workspace: Bird US needs the workspace id"),
        (["--provider", "bird", "--workspace", "w", "--subaccount", "1"], "has no subaccounts"),
        (["--provider", "sparkpost", "--subaccount", "abc"], "must be the numeric id"),
        (["--provider", "sparkpost", "--workspace", "w"], "only Bird uses a workspace id"),
        (["--provider", "custom"], "host: Custom / Enterprise needs a host"),
        (["--provider", "sparkpost", "--no-tls"], "tls: can be turned off only for a relay"),
        (["--provider", "sparkpost", "--port", "0"], "port: 0 is not between 1 and 65535"),
        (["--provider", "sparkpost", "--host", "https://x.example"], "is not a host name"),
        (["--provider", "sparkpost", "--from", "nobody"], "default_from:"),
        (["--provider", "local", "--key-stdin"], "needs no API key"),
        (["--provider", "mailgun"], "invalid choice: 'mailgun'"),
    ],
)
def test_invalid_profiles_are_refused(
    profile, composer_home: Path, args: list[str], words: str
) -> None:
    r = profile("add", "x", *args, stdin=f"{KEY}\n".encode())
    assert r.code == 2
    assert words in r.err
    assert "Traceback" not in r.err
    assert files_under(composer_home) == []


def test_custom_enterprise_warns_about_tracking(profile) -> None:
    r = profile("add", "ent", "--provider", "custom", "--host", "smtp.acme.example")
    assert r.code == 0, r.err
    assert "tracking are ON by default" in r.err
    assert "tracking are ON by default" in profile("show", "ent").out


def test_local_relay_variants(profile) -> None:
    r = profile("add", "dev", "--provider", "local", "--port", "2526")
    assert r.code == 0, r.err
    assert "API key" not in r.err  # the local relay needs none
    show = profile("show", "dev").out
    assert "off (this computer only)" in show
    assert "api key:    not needed" in show
    assert profile("add", "ok", "--provider", "custom", "--host", "::1", "--no-tls").code == 0


def test_duplicates_default_and_remove(profile, composer_home: Path) -> None:
    assert profile("add", "prod", "--provider", "sparkpost").code == 0
    again = profile("add", "prod", "--provider", "sparkpost-eu")
    assert again.code == 2 and "already exists; add --replace" in again.err
    assert profile("add", "prod", "--provider", "sparkpost-eu", "--replace").code == 0
    assert "smtp.eu.sparkpostmail.com" in profile("show", "prod").out

    r = profile("default", "prod")
    assert (r.code, r.out) == (0, "default profile: prod\n")
    assert profile("list").out.splitlines()[1].split()[:2] == ["*", "prod"]
    assert "default:    yes" in profile("show", "prod").out

    r = profile("remove", "prod")  # no keyring: the profile goes, with a warning about the key
    assert r.code == 0, r.err
    assert "removed profile 'prod'; default: local" in r.out
    assert "could not remove the stored key" in r.err
    assert profile("list").out.split()[:2] == ["*", "local"]

    assert profile("remove", "local").code == 0  # the local profile needs no keyring at all
    assert profile("list").out == ""
    assert json.loads(profiles_file(composer_home).read_text())["profiles"] == []


@pytest.mark.parametrize("action", ["show", "remove", "default", "set-key"])
def test_unknown_profiles(profile, action: str) -> None:
    r = profile(action, "nope")
    assert r.code == 2
    assert "there is no profile named 'nope' (profiles: local)" in r.err


def _run_on_a_terminal(args: list[str], typed: bytes, home: Path) -> tuple[int, bytes]:
    """Run composer with a pseudo-terminal as its controlling terminal, type once the prompt
    shows, and return the exit code and everything the terminal displayed."""
    import pty

    script = shutil.which("composer", path=str(Path(sys.executable).parent))
    argv = [script] if script else [sys.executable, "-m", "composer"]
    env = {**os.environ, "COMPOSER_HOME": str(home), **NO_KEYRING}
    pid, fd = pty.fork()
    if pid == 0:  # the child: become composer at once
        try:
            os.execve(argv[0], [*argv, *args], env)
        finally:
            os._exit(127)
    shown, sent = b"", False
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                os.kill(pid, 9)
                pytest.fail(f"composer went quiet on the terminal; it showed {shown!r}")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the child has exited and closed the terminal
                break
            if not chunk:
                break
            shown += chunk
            if not sent and b"(input hidden): " in shown:
                os.write(fd, typed)
                sent = True
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), shown


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_on_a_terminal_the_key_is_asked_for_hidden(composer_home: Path) -> None:
    args = ["profile", "add", "prod", "--provider", "sparkpost"]
    code, shown = _run_on_a_terminal(args, KEY.encode() + b"\n", composer_home)
    assert b"API key for profile 'prod' (input hidden): " in shown
    assert KEY.encode() not in shown  # not echoed, not repeated in the error
    assert code == 2  # the key was read, then the (absent) keyring refused it
    assert b"No unlocked system keyring is available" in shown
    assert_key_nowhere(composer_home)
    assert files_under(composer_home) == []

    code, shown = _run_on_a_terminal(args, b"\n", composer_home)
    assert code == 2
    assert b"no API key entered; nothing was saved" in shown
    assert files_under(composer_home) == []


def test_set_key_needs_a_way_to_read_the_key(profile) -> None:
    assert profile("add", "prod", "--provider", "sparkpost").code == 0
    r = profile("set-key", "prod")
    assert r.code == 2 and "pipe the key in with --key-stdin" in r.err
    r = profile("set-key", "prod", "--key-stdin", stdin=f"{KEY}\n".encode())
    assert r.code == 2 and "No unlocked system keyring" in r.err
    assert KEY not in r.err
    r = profile("set-key", "local", "--key-stdin", stdin=b"k\n")
    assert r.code == 2 and "needs no API key" in r.err


def test_a_corrupt_profiles_file_is_reported_and_kept(profile, composer_home: Path) -> None:
    path = profiles_file(composer_home)
    path.parent.mkdir(parents=True)
    text = '{"format": "composer-profiles", "version": 1, "profiles": [{"name": "a", ' \
        '"provider": "sparkpost", "host": "h.example", "port": "587"}]}'  # fmt: skip
    path.write_text(text)
    for args in (["list"], ["show", "a"], ["add", "b", "--provider", "local"], ["default", "a"]):
        r = profile(*args)
        assert r.code == 2, args
        assert f"error: profiles file {path}: profiles[0].port: must be a whole number" in r.err
        assert "left as it is" in r.err
        assert "Traceback" not in r.err
    assert path.read_text() == text


def test_profile_test_of_the_local_profile_works(profile) -> None:
    r = profile("test", "local")
    assert r.code == 0, r.err
    assert "ok   connect" in r.out and "nothing was sent" in r.out


def test_profile_test_of_an_unknown_profile(profile) -> None:
    r = profile("test", "nope")
    assert r.code == 2 and "nope" in r.err


def test_profile_needs_an_action(profile) -> None:
    r = profile()
    assert r.code == 2
    assert "required" in r.err


def test_a_huge_profiles_file_is_refused_unread(profile, composer_home: Path) -> None:
    """A sparse 300 MB profiles.json (no byte written: truncate) is refused from its size,
    at once, naming the file; the file is left as it is (THREATS.md: profiles, huge)."""
    path = profiles_file(composer_home)
    path.parent.mkdir(parents=True)
    with open(path, "wb") as f:
        f.truncate(300 * 1000 * 1000)
    started = time.monotonic()
    for args in (["list"], ["add", "b", "--provider", "local"]):
        r = profile(*args)
        assert r.code == 2, (args, r.err)
        assert f"error: profiles file {path}: is larger than the 1 MB limit" in r.err
        assert "left as it is" in r.err and "Traceback" not in r.err
    assert time.monotonic() - started < 30  # two interpreter starts; nothing 300 MB read
    assert path.stat().st_size == 300 * 1000 * 1000


def test_a_profiles_file_that_is_a_fifo_is_refused_not_waited_on(
    profile, composer_home: Path
) -> None:
    """A FIFO with no writer where profiles.json should be: open() would wait for a writer
    forever; it is refused at once, naming the file."""
    path = profiles_file(composer_home)
    path.parent.mkdir(parents=True)
    os.mkfifo(path, 0o600)
    r = run_composer_bounded(profile, "list")
    assert r.code == 2, r.err
    assert f"error: profiles file {path}: is not a regular file" in r.err
    assert "Traceback" not in r.err


def run_composer_bounded(profile, *args: str):
    """The command, killed after 20 s: a hang fails the test instead of holding it."""
    try:
        return profile(*args, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("composer waited on the FIFO (killed after 20 s)")
