"""The online link check against real loopback HTTP servers: HEAD then GET, redirects, and
servers that are slow, silent, endless or lying, each costing at most the time allowed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import trustme
from support.http_hostile import HostilePeer
from support.net import free_port

from composer.transport.linkcheck import LinkLimits, check_links, check_one

FAST = LinkLimits(timeout=2.0, total=10.0, private_ok=True)


class _Site(BaseHTTPRequestHandler):
    """/ok 200; /nohead 405 to HEAD; /bot 403 to HEAD; /gone 404; /moved -> /ok;
    /endless: 405 to HEAD, then a GET body that never ends."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str]]] = []
    stop: ClassVar[threading.Event] = threading.Event()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self) -> None:
        self.seen.append((self.command, self.path))
        for name in ("Authorization", "Cookie", "Referer"):
            if name in self.headers:
                self.seen.append((name, self.headers[name]))
        head = self.command == "HEAD"
        if self.path == "/ok":
            self._reply(200, body=b"fine")
        elif self.path in ("/nohead", "/endless") and head:
            self._reply(405)
        elif self.path == "/bot" and head:
            self._reply(403)
        elif self.path in ("/nohead", "/bot"):
            self._reply(200, body=b"fine")
        elif self.path == "/endless":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                while not self.stop.is_set():
                    self.wfile.write(b"x" * 65536)
            except OSError:
                return  # the client hung up, as it should
        elif self.path == "/moved":
            self._reply(301, {"Location": "/ok"})
        else:
            self._reply(404)

    do_GET = do_HEAD = _serve


@pytest.fixture
def site() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    seen: list[tuple[str, str]] = []
    stop = threading.Event()
    handler = type("Site", (_Site,), {"seen": seen, "stop": stop})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        t.join(5)


def test_head_answers(site) -> None:
    base, seen = site
    s = check_one(f"{base}/ok", FAST)
    assert (s.ok, s.status, s.method, s.error) == (True, 200, "HEAD", None)
    assert seen == [("HEAD", "/ok")]


@pytest.mark.parametrize("path", ["/nohead", "/bot"])
def test_get_when_head_is_refused(site, path: str) -> None:
    base, seen = site
    s = check_one(base + path, FAST)
    assert (s.ok, s.status, s.method) == (True, 200, "GET")
    assert seen == [("HEAD", path), ("GET", path)]


def test_a_missing_page(site) -> None:
    base, _seen = site
    s = check_one(f"{base}/gone", FAST)
    assert (s.ok, s.status, s.error) == (False, 404, None)


def test_redirects_are_followed(site) -> None:
    base, seen = site
    s = check_one(f"{base}/moved", FAST)
    assert (s.status, s.redirects, s.final_url) == (200, 1, f"{base}/ok")
    assert seen == [("HEAD", "/moved"), ("HEAD", "/ok")]


def test_a_redirect_loop_is_bounded() -> None:
    with HostilePeer("good", max_connections=20) as peer:
        peer.redirect_to = peer.url()  # every answer: 307 to itself
        s = check_one(peer.url(), LinkLimits(timeout=2.0, max_redirects=3, private_ok=True))
        assert s.error == "more than 3 redirects"
        assert len(peer.requests) == 4


def test_an_endless_body_costs_only_its_head(site) -> None:
    base, _seen = site
    start = time.monotonic()
    s = check_one(f"{base}/endless", LinkLimits(timeout=5.0, private_ok=True))
    assert (s.status, s.method, s.error) == (200, "GET", None)
    assert time.monotonic() - start < 3.0


@pytest.mark.parametrize("behaviour", ["drip_status", "silent", "slow_endless_headers"])
def test_a_slow_server_costs_at_most_the_timeout(behaviour: str) -> None:
    with HostilePeer(behaviour) as peer:
        start = time.monotonic()
        s = check_one(peer.url(), LinkLimits(timeout=1.0, private_ok=True))
        took = time.monotonic() - start
    assert s.error == "no answer in time" and s.status is None
    assert took < 2.0


def test_endless_headers_are_cut_off() -> None:
    with HostilePeer("endless_headers") as peer:
        start = time.monotonic()
        s = check_one(peer.url(), LinkLimits(timeout=5.0, private_ok=True))
        assert time.monotonic() - start < 4.0
    assert s.error is not None and s.status is None and not s.ok


def test_the_whole_batch_has_one_deadline() -> None:
    with HostilePeer("silent", max_connections=20) as peer:
        urls = [f"{peer.url()}/{i}" for i in range(6)]
        start = time.monotonic()
        out = check_links(urls, LinkLimits(timeout=30.0, total=1.0, workers=3, private_ok=True))
        took = time.monotonic() - start
    assert took < 2.0
    assert list(out) == urls
    assert all(s.error and "1 s the whole check may take" in s.error for s in out.values())


def test_at_most_max_urls_are_asked(site) -> None:
    base, seen = site
    urls = [f"{base}/ok?{i}" for i in range(5)] + [f"{base}/ok?0"]
    out = check_links(urls, LinkLimits(timeout=2.0, max_urls=3, private_ok=True))
    assert len(seen) == 3
    assert [s.checked for s in out.values()] == [True, True, True, False, False]


def test_an_untrusted_certificate_is_reported() -> None:
    with HostilePeer("good", ca=trustme.CA()) as peer:
        s = check_one(peer.url(), FAST)
    assert s.error is not None and "certificate is not trusted" in s.error


def test_nobody_listening_and_odd_links() -> None:
    s = check_one(f"http://127.0.0.1:{free_port()}/", FAST)
    assert s.error is not None and s.error.startswith("could not connect")
    assert check_one("ftp://example.com/x", FAST).error == "not an http(s) link (ftp)"
    assert "port" in (check_one("http://127.0.0.1:99999/", FAST).error or "")


def test_credentials_in_a_link_are_not_sent(site) -> None:
    base, seen = site
    s = check_one(base.replace("http://", "http://ann:secret@") + "/ok", FAST)
    assert s.ok and seen == [("HEAD", "/ok")]


def test_this_computer_is_never_probed_unless_allowed(site) -> None:
    """Every hop connects through the same check, redirects included."""
    base, seen = site
    for url in (f"{base}/ok", base.replace("127.0.0.1", "localhost") + "/ok"):
        s = check_one(url, LinkLimits(timeout=2.0))
        assert s.error is not None and "never probed" in s.error
    assert seen == []


def test_a_cancel_returns_at_once() -> None:
    """The window quitting while servers are silent: the batch returns within a moment."""
    import threading

    cancel = threading.Event()
    with HostilePeer("silent", max_connections=20) as peer:
        threading.Timer(0.3, cancel.set).start()
        start = time.monotonic()
        urls = [f"{peer.url()}/{i}" for i in range(3)]
        slow = LinkLimits(timeout=30.0, total=30.0, private_ok=True)
        out = check_links(urls, slow, cancel=cancel)
        took = time.monotonic() - start
    assert took < 1.5
    assert all(s.error == "not checked: the check was stopped" for s in out.values())
