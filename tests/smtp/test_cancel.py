"""Cancel (issue 15 #9) at the transport: within a second, over N connections, wherever the
send is waiting — a connect to a peer that never completes the handshake, a silent greeting,
a retry wait — and never by cutting off a message whose final "." went out: that one gets its
reply (or "unknown"), the rest are "cancelled" (not "failed").

Cancel is set from another thread when the test sees the send waiting where it wants it
(a server-side event, or the batch's own hook), as Cancel or Ctrl+C would."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from support.smtp_hostile import SILENT, Drip, HostilePeer

from composer.core.build import build_messages
from composer.core.draft import Draft, Recipient
from composer.core.outcome import Status
from composer.transport.batch import Hooks, SendOptions, send_batch
from composer.transport.smtp.session import Endpoint, SmtpSession

PIPELINING_EHLO = "250-hostile.example\r\n250-PIPELINING\r\n250 8BITMIME"


def _messages(n: int) -> list:  # type: ignore[type-arg]
    draft = Draft(from_addr=Recipient("ann@example.com"), subject="cancel", body="Hello")
    return build_messages(draft, seeds=[Recipient(f"s{i}@example.com") for i in range(n)])


def _endpoint(port: int, timeout: float = 30.0) -> Endpoint:
    # Long deadlines on purpose: only Cancel can end these waits within the test's second.
    return Endpoint("127.0.0.1", port, tls=False, timeout=timeout, final_timeout=timeout)


@contextlib.contextmanager
def _blackhole() -> Iterator[int]:
    """A loopback port whose accept queue is full: a new connect() waits for its handshake
    (the SYN is dropped and retried), like a peer behind a firewall that drops packets."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):  # a queue of 0 still takes one or two: fill it whatever the kernel
            s = socket.socket()
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                s.connect(("127.0.0.1", port))
            fillers.append(s)
        probe = socket.socket()
        probe.settimeout(0.3)
        try:
            probe.connect(("127.0.0.1", port))
            pytest.skip("this kernel completed a connect to a full accept queue: no blackhole")
        except OSError:
            pass
        finally:
            probe.close()
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()


def _cancel_when(predicate, cancel: threading.Event, within: float = 10.0) -> threading.Thread:  # type: ignore[no-untyped-def]
    """Set ``cancel`` as soon as ``predicate()`` holds (checked every 10 ms, at most
    ``within`` s): the person pressing Cancel once the send is where the test wants it."""

    def watch() -> None:
        end = time.monotonic() + within
        while time.monotonic() < end and not predicate():
            time.sleep(0.01)
        cancel.set()
        stamps.append(time.monotonic())

    stamps: list[float] = []
    t = threading.Thread(target=watch, daemon=True)
    t.stamps = stamps  # type: ignore[attr-defined]
    t.start()
    return t


@pytest.mark.parametrize("connections", [1, 4])
def test_cancel_wakes_a_connect_to_a_blackhole(connections: int) -> None:
    with _blackhole() as port:
        cancel = threading.Event()
        started = time.monotonic()
        timer = threading.Timer(0.3, cancel.set)  # mid-connect: the connect waits 30 s
        timer.start()
        report = send_batch(
            _messages(6),
            None,
            options=SendOptions(connections=connections, retries=0),
            hooks=Hooks(cancel=cancel),
            sessions=lambda: SmtpSession(_endpoint(port)),
        )
        elapsed = time.monotonic() - started
    assert elapsed < 1.3, elapsed  # 0.3 s before Cancel, then < 1 s
    assert [r.status for r in report.results] == [Status.CANCELLED] * 6
    assert report.cancelled and int(report.exit_code) == 130


@pytest.mark.parametrize("connections", [1, 4])
def test_cancel_wakes_a_silent_greeting(hostile, connections: int) -> None:  # type: ignore[no-untyped-def]
    peer: HostilePeer = hostile({"GREETING": SILENT})
    cancel = threading.Event()
    watcher = _cancel_when(lambda: peer.connections >= 1, cancel)
    report = send_batch(
        _messages(5),
        None,
        options=SendOptions(connections=connections, retries=3),
        hooks=Hooks(cancel=cancel),
        sessions=lambda: SmtpSession(_endpoint(peer.port)),
    )
    done = time.monotonic()
    watcher.join(5)
    assert done - watcher.stamps[0] < 1.0  # type: ignore[attr-defined]
    assert {r.status for r in report.results} == {Status.CANCELLED}


def test_cancel_ends_a_retry_wait_at_once(hostile) -> None:  # type: ignore[no-untyped-def]
    peer: HostilePeer = hostile({"EHLO": PIPELINING_EHLO, "DATA": "451 4.3.0 busy"})
    cancel = threading.Event()
    waiting = threading.Event()

    def before_retry(_m: object, _why: str) -> None:
        waiting.set()

    watcher = _cancel_when(waiting.is_set, cancel)
    report = send_batch(
        _messages(3),
        None,
        options=SendOptions(connections=2, retries=3, retry_delay=30, max_delay=30),
        hooks=Hooks(cancel=cancel, before_retry=before_retry),
        sessions=lambda: SmtpSession(_endpoint(peer.port)),
    )
    done = time.monotonic()
    watcher.join(5)
    assert done - watcher.stamps[0] < 1.0  # type: ignore[attr-defined]
    assert [r.status for r in report.results] == [Status.CANCELLED] * 3
    assert peer.messages == []


def test_a_message_whose_final_dot_went_out_gets_its_reply(hostile) -> None:  # type: ignore[no-untyped-def]
    # The reply to the final "." dribbles in over ~0.5 s; Cancel lands the moment the server
    # has the whole message. That message is never abandoned: it is sent, the others
    # cancelled, and the server holds it exactly once.
    peer: HostilePeer = hostile(
        {"EHLO": PIPELINING_EHLO, "DOT": Drip("250 2.0.0 queued", 0.03, forever=False)}
    )
    cancel = threading.Event()
    watcher = _cancel_when(lambda: len(peer.messages) >= 1, cancel)
    report = send_batch(
        _messages(4),
        None,
        options=SendOptions(connections=1),
        hooks=Hooks(cancel=cancel),
        sessions=lambda: SmtpSession(_endpoint(peer.port)),
    )
    watcher.join(5)
    statuses = [r.status for r in report.results]
    assert statuses[0] is Status.SENT and report.results[0].code == 250
    assert statuses[1:] == [Status.CANCELLED] * 3
    assert len(peer.messages) == 1


def test_cancel_just_before_the_final_dot_sends_no_end_of_data(hostile) -> None:  # type: ignore[no-untyped-def]
    # Cancel pressed while "awaiting" is being committed: the "." is never written, so the
    # relay never gets a complete message, and the message is "cancelled".
    peer: HostilePeer = hostile({"EHLO": PIPELINING_EHLO})
    cancel = threading.Event()
    report = send_batch(
        _messages(2),
        None,
        options=SendOptions(connections=1),
        hooks=Hooks(cancel=cancel, before_final_reply=lambda _m: cancel.set()),
        sessions=lambda: SmtpSession(_endpoint(peer.port)),
    )
    assert [r.status for r in report.results] == [Status.CANCELLED] * 2
    assert peer.messages == []
