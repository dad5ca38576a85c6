"""The real Secret Service: gnome-keyring, unlocked, in a private D-Bus session.

No fake backends here. One `dbus-run-session` runs an unlocked `gnome-keyring-daemon` with a
throw-away HOME / XDG folders, and inside it a script that stores, reads and deletes a key with
composer.transport.profiles.credentials, then drives the real `composer profile` command with the
key piped on stdin (research/reliability.md §4 shows this is the set-up that works headless).
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support.cli import composer_command

pytestmark = pytest.mark.keyring

TIMEOUT = 120  # seconds for the whole session; each composer run inside it has its own 60

SCRIPT = r"""
import json, os, subprocess, sys
from pathlib import Path

import keyring
from composer.transport.profiles import credentials
from composer.core.errors import CredentialsError

key = os.environ["KR_TEST_KEY"]  # from the environment: the key is in no file, not even here
home = Path(os.environ["COMPOSER_HOME"])
composer = sys.argv[1:]
backend = type(keyring.get_keyring())
out = {"backend": f"{backend.__module__}.{backend.__name__}"}

out["status_before"] = credentials.key_status("direct")
credentials.set_api_key("direct", key)
out["status_stored"] = credentials.key_status("direct")
out["got_back"] = credentials.get_api_key("direct").reveal() == key
out["raw_entry"] = keyring.get_password("composer-mail", "direct") == key
out["deleted"] = credentials.delete_api_key("direct")
out["deleted_again"] = credentials.delete_api_key("direct")
out["status_after"] = credentials.key_status("direct")
try:
    credentials.get_api_key("direct")
    out["missing_error"] = None
except CredentialsError as exc:
    out["missing_error"] = str(exc)


def run(*args, stdin=""):
    p = subprocess.run(
        [*composer, *args], input=stdin, capture_output=True, text=True, timeout=60
    )
    return {"code": p.returncode, "out": p.stdout, "err": p.stderr}


out["add"] = run("profile", "add", "real", "--provider", "sparkpost", "--key-stdin",
                 stdin=key + "\n")
out["show"] = run("profile", "show", "real")
out["list"] = run("profile", "list")
out["real_via_api"] = credentials.get_api_key("real").reveal() == key
leaks = [str(p) for p in home.rglob("*") if p.is_file() and key.encode() in p.read_bytes()]
assert not leaks, f"the key was written to {leaks}"
out["remove"] = run("profile", "remove", "real")
out["status_removed"] = credentials.key_status("real")
print(json.dumps(out))
"""


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path:
        return path
    message = (
        f"{tool} not found: install the apt package {package} "
        "(CI installs dbus, dbus-x11 and gnome-keyring for this test)"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _runtime_dir(tmp_path: Path) -> Path:
    """A private 0700 XDG_RUNTIME_DIR. gnome-keyring puts a Unix socket in it, and socket paths
    are limited to 108 bytes, so fall back to a short /tmp folder if tmp_path is deep."""
    run = tmp_path / "run"
    if len(str(run / "keyring" / "control")) > 100:
        return Path(tempfile.mkdtemp(prefix="composer-kr-"))  # mkdtemp makes it 0700
    run.mkdir(mode=0o700)
    return run


def _run_session(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    # A session of its own: on a timeout the whole group (bus, daemon, python) is killed.
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"the keyring session did not finish in {TIMEOUT} s:\n{out}\n{err}")
    return proc.returncode, out, err


def test_a_key_round_trips_through_the_real_secret_service(
    tmp_path: Path, composer_home: Path
) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the Secret Service (gnome-keyring over D-Bus) is the Linux keyring")
    dbus_run_session = _require("dbus-run-session", "dbus")
    _require("gnome-keyring-daemon", "gnome-keyring")

    home, data, config = tmp_path / "home", tmp_path / "data", tmp_path / "config"
    for d in (home, data, config):
        d.mkdir()
    runtime = _runtime_dir(tmp_path)
    script = tmp_path / "keyring_script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    key = secrets.token_hex(20)  # a fresh key each run, only ever in environment variables
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_DATA_HOME": str(data),
        "XDG_CONFIG_HOME": str(config),
        "XDG_RUNTIME_DIR": str(runtime),
        "COMPOSER_HOME": str(composer_home),
        "KR_TEST_KEY": key,
    }
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    inner = "exec " + shlex.join([sys.executable, str(script), *composer_command()])
    shell = f'eval "$(printf testpw | gnome-keyring-daemon --unlock --components=secrets)"; {inner}'
    try:
        code, out, err = _run_session([dbus_run_session, "--", "sh", "-c", shell], env)
    finally:
        if not runtime.is_relative_to(tmp_path):
            shutil.rmtree(runtime, ignore_errors=True)

    assert code == 0, f"exit {code}\nstdout:\n{out}\nstderr:\n{err}"
    assert key not in out and key not in err
    r = json.loads(out.strip().splitlines()[-1])
    assert r["backend"] == "keyring.backends.SecretService.Keyring"
    assert r["status_before"] == "missing"
    assert r["status_stored"] == "in keyring"
    assert r["got_back"] is True and r["raw_entry"] is True
    assert (r["deleted"], r["deleted_again"]) == (True, False)
    assert r["status_after"] == "missing"
    assert r["missing_error"].startswith("No API key for profile 'direct'")

    assert r["add"]["code"] == 0, r["add"]
    assert "API key stored in the system keyring" in r["add"]["out"]
    assert r["show"]["code"] == 0, r["show"]
    assert "api key:    in keyring" in r["show"]["out"]
    assert "username:   SMTP_Injection" in r["show"]["out"]
    real_line = next(line for line in r["list"]["out"].splitlines() if " real " in line)
    assert real_line.endswith("key: in keyring")
    assert r["real_via_api"] is True
    assert r["remove"]["code"] == 0, r["remove"]
    assert "removed profile 'real' and its API key" in r["remove"]["out"]
    assert r["status_removed"] == "missing"

    # gnome-keyring kept it in the throw-away data folder (encrypted); Composer wrote it nowhere
    assert any((data / "keyrings").iterdir())
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert key.encode() not in f.read_bytes(), f"the key is in plain text in {f}"
    profiles = json.loads((composer_home / "config" / "profiles.json").read_text())
    assert [p["name"] for p in profiles["profiles"]] == ["local"]
