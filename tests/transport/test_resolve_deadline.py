"""Name lookups under a wall-clock deadline (THREATS.md: SMTP peer / HTTP peer, slow): a
resolver that never answers fails a send in bounded time with "could not resolve HOST within
N s", exit 4, nothing connected, the message "not sent" (never "unknown"). No real DNS: the
system's resolver is replaced by a hook that waits on an event nobody sets
(support/hung_resolver.py), in the real ``composer`` command."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.cli import send_args
from support.smtp_hostile import HostilePeer

from composer.core.errors import ConnectError
from composer.transport.resolve import AddrInfo, Resolver

TESTS = Path(__file__).resolve().parents[1]
KEY = "k3y-for-the-dns-test"
NEVER = threading.Event()


def _hang(host: str) -> list[AddrInfo]:
    NEVER.wait()
    raise AssertionError("unreachable")


@contextmanager
def listener() -> Iterator[tuple[socket.socket, int]]:
    """A socket listening on loopback that nobody should reach: whether a connection came is
    read from its backlog afterwards (the kernel completes the handshake without accept)."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock, sock.getsockname()[1]


def connected(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        sock.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def run_hung(home: Path, cwd: Path, what: str, *args: str, within: float = 20):
    env = {**os.environ, "COMPOSER_HOME": str(home), "COMPOSER_API_KEY": KEY,
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}  # fmt: skip
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(TESTS / "support" / "hung_resolver.py"), what, *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=within,
    )  # fmt: skip
    return proc, time.monotonic() - started


@pytest.fixture
def body(tmp_path: Path) -> Path:
    p = tmp_path / "body.md"
    p.write_text("Hello\n", encoding="utf-8")
    return p


def _assert_not_sent(proc: subprocess.CompletedProcess, elapsed: float, home: Path,
                     cwd: Path) -> None:  # fmt: skip
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr
    assert elapsed < 15, elapsed  # 2 s to resolve; the rest is the interpreter starting
    (m,) = json.loads(proc.stdout)["messages"]
    assert m["status"] == "failed" and "could not resolve localhost within 2 s" in m["error"]
    listed, _ = run_hung(home, cwd, "none", "outbox", "--json")
    lists = json.loads(listed.stdout)
    assert lists["pending"] == [] and lists["unknown"] == [], lists
    (kept,) = lists["failed"]  # failed, never reached the relay: not "unknown", not resent
    assert kept["state"] == "failed" and kept["attempts"] == 0
    assert "could not resolve localhost within 2 s" in kept["reason"]


def test_smtp_send_with_a_resolver_that_never_answers(
    composer_home: Path, tmp_path: Path, body: Path
) -> None:
    with listener() as (sock, port):
        proc, elapsed = run_hung(
            composer_home, tmp_path, "dns",
            *send_args(body, "--provider", "custom", "--host", "localhost", "--port", str(port),
                       "--no-tls", "--retries", "0", "--timeout", "2", "--json"),
        )  # fmt: skip
        assert not connected(sock)
    _assert_not_sent(proc, elapsed, composer_home, tmp_path)


def test_rest_send_with_a_resolver_that_never_answers(
    composer_home: Path, tmp_path: Path, body: Path
) -> None:
    with listener() as (sock, port):
        proc, elapsed = run_hung(
            composer_home, tmp_path, "dns",
            *send_args(body, "--api", "rest", "--provider", "custom",
                       "--api-url", f"http://localhost:{port}/api/v1", "--retries", "0",
                       "--timeout", "2", "--json"),
        )  # fmt: skip
        assert not connected(sock)
    _assert_not_sent(proc, elapsed, composer_home, tmp_path)


def test_smtp_never_asks_for_this_computers_name(
    composer_home: Path, tmp_path: Path, body: Path
) -> None:
    """smtplib.SMTP() calls socket.getfqdn() (a reverse lookup, no deadline) unless given a
    local name; with a getfqdn that never returns, the send still completes, and the EHLO
    names the connected address instead (no lookup, no host name of this computer sent)."""
    with HostilePeer({}) as peer:
        proc, _ = run_hung(
            composer_home, tmp_path, "fqdn",
            *send_args(body, "--provider", "custom", "--host", "127.0.0.1",
                       "--port", str(peer.port), "--no-tls", "--retries", "0",
                       "--timeout", "5", "--json"),
            within=20,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (m,) = json.loads(proc.stdout)["messages"]
    assert m["status"] == "sent" and len(peer.messages) == 1
    assert [ln for ln in peer.lines if ln.upper().startswith("EHLO")] == ["ehlo [127.0.0.1]"]


# --- the resolver itself ------------------------------------------------------------------


def test_a_lookup_that_never_returns_is_bounded_and_shared() -> None:
    r = Resolver(_hang, max_pending=2)
    started = time.monotonic()
    for _ in range(3):  # the same name: one lookup, one thread, however many ask
        with pytest.raises(ConnectError, match=r"could not resolve relay\.test within 0\.3 s"):
            r.resolve("relay.test", 587, 0.3)
    assert time.monotonic() - started < 3
    assert r.pending == 1
    with pytest.raises(ConnectError, match="could not resolve"):
        r.resolve("other.test", 587, 0.1)
    started = time.monotonic()  # the cap: a third name is refused at once, no new thread
    threads = threading.active_count()
    with pytest.raises(ConnectError, match="2 name lookups are still waiting"):
        r.resolve("third.test", 587, 5)
    assert time.monotonic() - started < 1 and threading.active_count() == threads


def test_addresses_need_no_lookup_and_names_get_the_port() -> None:
    r = Resolver(_hang)
    (info,) = r.resolve("127.0.0.1", 2525, 0.1)
    assert info[4] == ("127.0.0.1", 2525) and r.pending == 0
    found = Resolver(lambda h: socket.getaddrinfo("127.0.0.1", None, 0, socket.SOCK_STREAM))
    assert [i[4] for i in found.resolve("relay.test", 587, 1)] == [("127.0.0.1", 587)]


def test_a_name_that_does_not_exist_says_so() -> None:
    def missing(host: str) -> list[AddrInfo]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(ConnectError, match=r"cannot find the host 'nope\.test'"):
        Resolver(missing).resolve("nope.test", 587, 1)


def test_the_link_check_gives_up_on_a_name_that_never_resolves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The online link check shares the resolver: a name the system's resolver sits on is
    "could not resolve" within the link's timeout, not a worker held until the batch ends."""
    from composer.transport.linkcheck import LinkLimits, check_one

    release = threading.Event()
    real = socket.getaddrinfo

    def silent(host, port, family=0, type=0, proto=0, flags=0):  # type: ignore[no-untyped-def]
        if flags & socket.AI_NUMERICHOST:
            return real(host, port, family, type, proto, flags)
        release.wait()  # set at the end of the test: the daemon thread then ends
        raise socket.gaierror(socket.EAI_AGAIN, "released by the test")

    monkeypatch.setattr(socket, "getaddrinfo", silent)
    found: list = []
    worker = threading.Thread(
        target=lambda: found.append(check_one("http://never.test/", LinkLimits(timeout=1.0))),
        daemon=True,
    )
    try:
        started = time.monotonic()
        worker.start()
        worker.join(timeout=BOUND_LINK)
        assert found, f"the link check was still waiting after {BOUND_LINK} s"
        assert time.monotonic() - started < BOUND_LINK
        assert found[0].error == "could not resolve never.test within 1 s"
    finally:
        release.set()


BOUND_LINK = 5.0
