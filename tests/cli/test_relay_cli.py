"""``composer relay``: the real command in a subprocess, real SMTP to it, real signals."""

from __future__ import annotations

import mailbox
import os
import signal
import smtplib
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import composer_command
from support.net import free_port, wait_for_port

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

MESSAGE = b"From: ann@example.com\r\nTo: bob@example.com\r\nSubject: CLI\r\n"
MESSAGE += b'X-MSYS-API: {"cc":["cc@example.com"]}\r\n\r\nHello\r\n'


@pytest.fixture
def popen() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def start(popen: list[subprocess.Popen[bytes]], *args: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [*composer_command(), "relay", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    popen.append(proc)
    return proc


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_relay_delivers_and_stops_cleanly_on_a_signal(
    popen: list[subprocess.Popen[bytes]], tmp_path: Path, sig: signal.Signals
) -> None:
    port = free_port()
    maildir = tmp_path / "md"
    proc = start(popen, "--port", str(port), "--maildir", str(maildir))
    wait_for_port(port, proc)

    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.login("SMTP_Injection", "any key")
        s.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
    box = mailbox.Maildir(maildir, create=False)
    got = sorted(f"{m['X-Relay-Rcpt-Type']}:{m['Delivered-To']}" for m in box)
    assert got == ["cc:cc@example.com", "to:bob@example.com"]

    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    text = err.decode()
    assert proc.returncode == 0, text
    line = f"Local relay listening on 127.0.0.1:{port}, delivering into {maildir} (Ctrl+C to stop)"
    assert line in text.splitlines()
    assert "Traceback" not in text and "Session.login_data" not in text


def test_default_maildir_is_the_apps_sandbox(
    popen: list[subprocess.Popen[bytes]], composer_home: Path
) -> None:
    port = free_port()
    proc = start(popen, "--port", str(port))
    wait_for_port(port, proc)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert f"delivering into {composer_home / 'sandbox'} " in err.decode()
    assert len(mailbox.Maildir(composer_home / "sandbox", create=False)) == 2


def test_a_non_loopback_host_exits_2_naming_the_problem(run_composer, tmp_path: Path) -> None:
    result = run_composer("relay", "--host", "0.0.0.0", "--maildir", str(tmp_path / "md"))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "0.0.0.0" in lines[0] and "loopback" in lines[0] and "--allow-remote" in lines[0]
    assert not (tmp_path / "md").exists()


def test_a_port_in_use_exits_4_with_one_clear_line(run_composer, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = run_composer("relay", "--port", str(port), "--maildir", str(tmp_path / "md"))
    assert result.code == 4
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "already in use" in lines[0] and str(port) in lines[0], result.err


def test_tls_flags_go_together(run_composer, tmp_path: Path) -> None:
    result = run_composer("relay", "--tls-cert", str(tmp_path / "c.pem"))
    assert result.code == 2 and "--tls-key" in result.err


def test_an_unreadable_certificate_exits_2(run_composer, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.pem")
    result = run_composer("relay", "--tls-cert", missing, "--tls-key", missing)
    assert result.code == 2 and "certificate" in result.err
