"""A loopback TCP proxy that adds a round trip: each chunk is held for half of ``rtt`` in each
direction, as a network between here and the relay would hold it.

    with DelayProxy(target_port, rtt=0.1) as proxy:   # connect to 127.0.0.1:proxy.port
        ...

A delay line, not a queue of sleeps: every chunk is stamped when it arrives and released at
stamp + rtt/2, so chunks that follow each other closely (a pipelined group, a body and its
final ".") are not serialised behind each other's delay, and a 100 ms round trip stays
100 ms however much is in flight. Bandwidth is not limited. Threads are bounded: two per
direction per connection (a reader and a writer), at most ``max_connections`` connections at
once (more are closed at once), all daemon threads joined on ``stop`` within a deadline.
127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time

_CHUNK = 64 * 1024


class DelayProxy:
    def __init__(self, target_port: int, rtt: float, *, max_connections: int = 32) -> None:
        self.target = ("127.0.0.1", target_port)
        self.half = rtt / 2
        self.max_connections = max_connections
        self._server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.port: int = self._server.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._live = 0
        self.connections = 0  # accepted and forwarded, for the smoke test
        self._stopping = False
        self._acceptor = threading.Thread(target=self._accept, name="proxy-accept", daemon=True)

    def start(self) -> DelayProxy:
        self._acceptor.start()
        return self

    def __enter__(self) -> DelayProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, within: float = 5.0) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._server.close()
        with self._lock:
            sockets, threads = list(self._sockets), list(self._threads)
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)  # wakes a reader blocked in recv()
            with contextlib.suppress(OSError):
                s.close()
        deadline = time.monotonic() + within
        for t in [self._acceptor, *threads]:
            t.join(max(0.0, deadline - time.monotonic()))

    def _accept(self) -> None:
        self._server.settimeout(0.1)  # closing a listener does not wake accept(): look again
        while not self._stopping:
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                full = self._live >= self.max_connections
                if not full:
                    self._live += 1
                    self.connections += 1
            if full:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                with self._lock:
                    self._live -= 1
                continue
            for s in (client, upstream):
                s.settimeout(None)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            ends = [2]  # directions still open; the connection is done when both are
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                line: queue.Queue[tuple[float, bytes]] = queue.Queue()
                self._spawn(self._read, src, line)
                self._spawn(self._write, dst, line, (client, upstream), ends)

    def _spawn(self, target: object, *args: object) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
        t.start()

    def _read(self, src: socket.socket, line: queue.Queue[tuple[float, bytes]]) -> None:
        while True:
            try:
                chunk = src.recv(_CHUNK)
            except OSError:
                chunk = b""
            line.put((time.monotonic() + self.half, chunk))
            if not chunk:
                return

    def _write(
        self,
        dst: socket.socket,
        line: queue.Queue[tuple[float, bytes]],
        pair: tuple[socket.socket, socket.socket],
        ends: list[int],
    ) -> None:
        while True:
            due, chunk = line.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)  # the delay being simulated, not a synchronisation
            try:
                if chunk:
                    dst.sendall(chunk)
                    continue
                dst.shutdown(socket.SHUT_WR)  # the other side ended: pass the EOF on
            except OSError:
                pass
            break
        with self._lock:
            ends[0] -= 1
            done = ends[0] == 0
            if done:
                self._live -= 1
        if done:
            for s in pair:
                with contextlib.suppress(OSError):
                    s.close()
