"""The online link check: does each http(s) link of a message answer? Only when asked
(``composer check --online``, the window's "Check links online"); nothing calls it otherwise.

One URL: HEAD, and GET when the server refuses HEAD (403, 405, 501); redirects followed up to
``max_redirects``. Every answer is read by rest/wire.py's reader: one wall-clock deadline for
the whole answer (status, headers and body), headers capped, at most ``MAX_BODY`` of a body
(a GET's status is known once its head is in; the page itself is not wanted). An address on
this computer or a private network is never connected to (``LinkLimits.private_ok``, for tests
only), whether the link names it, a public name resolves to it, or a redirect leads there.
Nothing is sent
but the request line, ``Host``, a ``User-Agent`` and ``Accept``: no cookies, no credentials (a
``user:password@`` in a link is dropped), no referrer.

A batch: at most ``max_urls`` distinct URLs (the rest are reported as not checked), a few at a
time on daemon threads, and one overall deadline after which the check returns whatever it has
(the unfinished are "no answer in time"): a name lookup the resolver sits on cannot hold it up.
"""

from __future__ import annotations

import ipaddress
import queue
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from composer import __version__
from composer.core.errors import ConnectError
from composer.transport.resolve import resolve
from composer.transport.rest.wire import ReplyError, read_reply

__all__ = ["LinkLimits", "LinkStatus", "check_links"]

MAX_BODY = 64 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)
_NO_HEAD = (403, 405, 501)
_USER_AGENT = f"Composer/{__version__} (link check)"


@dataclass(frozen=True)
class LinkLimits:
    timeout: float = 8.0  # one request: connect, TLS and the whole answer
    total: float = 30.0  # the whole batch
    max_urls: int = 50
    max_redirects: int = 5
    workers: int = 4
    # Addresses on this computer or a private network are never probed (a public name that
    # resolves there, or a redirect that leads there, included); tests on loopback say True.
    private_ok: bool = False


@dataclass(frozen=True)
class LinkStatus:
    """What became of one URL. ``status`` is the last HTTP status seen (None: no answer);
    ``error`` says why there is no usable answer; ``checked`` is False past ``max_urls``."""

    url: str
    status: int | None = None
    final_url: str = ""
    redirects: int = 0
    method: str = "HEAD"
    error: str | None = None
    checked: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 400


class _Failed(Exception):
    pass


def _target(url: str) -> tuple[str, str, int, str, bool]:
    """(host for Host:, host to connect, port, request target, tls) of an http(s) URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _Failed(f"not an http(s) link ({scheme or 'no scheme'})")
    host = parts.hostname
    if not host:
        raise _Failed("the link has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise _Failed("the link's port is not a number from 0 to 65535") from None
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise _Failed("the link's host name cannot be looked up") from None
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    if parts.query:
        path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
    default = port == (443 if scheme == "https" else 80)
    shown = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    return (shown if default else f"{shown}:{port}"), ascii_host, port, path, scheme == "https"


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified
            or ip.is_multicast or ip.is_reserved)  # fmt: skip


def _connect(host: str, port: int, deadline: float, private_ok: bool) -> socket.socket:
    """A connection to the first address of ``host`` that answers; never to a private one
    unless ``private_ok``."""
    try:
        infos = resolve(host, port, max(0.01, deadline - time.monotonic()))
    except ConnectError as exc:
        raise _Failed(str(exc)) from None
    if not private_ok and any(_private(str(info[4][0])) for info in infos):
        raise _Failed("it leads to this computer or a private network, which is never probed")
    failure: OSError | None = None
    for family, kind, proto, _name, address in infos:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Failed("no answer in time")
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(left)
            sock.connect(address)
            return sock
        except TimeoutError:
            sock.close()
            raise _Failed("no answer in time") from None
        except OSError as exc:
            sock.close()
            failure = exc
    raise _Failed(f"could not connect ({getattr(failure, 'strerror', None) or failure})")


def _request(method: str, url: str, deadline: float, private_ok: bool) -> tuple[int, str | None]:
    """(status, Location) of one request, within ``deadline`` (time.monotonic)."""
    host_header, host, port, path, tls = _target(url)
    sock = _connect(host, port, deadline, private_ok)
    try:
        if tls:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {_USER_AGENT}\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n"
        )
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        sock.sendall(head.encode("ascii"))
        try:
            reply = read_reply(
                sock,
                max(0.01, deadline - time.monotonic()),
                head_request=method == "HEAD",
                max_body=MAX_BODY,
            )
        except ReplyError as exc:
            if exc.status is not None:  # the head arrived; the body is not wanted anyway
                return exc.status, None
            raise _Failed("no answer in time" if exc.kind == "timeout" else str(exc)) from None
        return reply.status, reply.header("location")
    except ssl.SSLCertVerificationError as exc:
        raise _Failed(f"its certificate is not trusted ({exc.verify_message})") from None
    except TimeoutError:
        raise _Failed("no answer in time") from None
    except (OSError, ssl.SSLError) as exc:
        raise _Failed(f"the connection failed ({exc})") from None
    finally:
        sock.close()


def check_one(url: str, limits: LinkLimits, stop: threading.Event | None = None) -> LinkStatus:
    """One URL: HEAD (GET if HEAD is refused), redirects followed, within ``limits``."""
    current, method, redirects = url, "HEAD", 0
    status: int | None = None
    try:
        while True:
            if stop is not None and stop.is_set():
                raise _Failed("no answer in time")
            deadline = time.monotonic() + limits.timeout
            status, location = _request(method, current, deadline, limits.private_ok)
            if method == "HEAD" and status in _NO_HEAD:
                method = "GET"
                continue
            if status in _REDIRECTS and location:
                if redirects >= limits.max_redirects:
                    raise _Failed(f"more than {limits.max_redirects} redirects")
                redirects += 1
                current, method = urljoin(current, location.strip()), "HEAD"
                continue
            return LinkStatus(url, status, current, redirects, method)
    except _Failed as exc:
        return LinkStatus(url, status, current, redirects, method, error=str(exc))


def check_links(
    urls: Sequence[str],
    limits: LinkLimits = LinkLimits(),
    *,
    one: Callable[[str, LinkLimits, threading.Event], LinkStatus] = check_one,
    cancel: threading.Event | None = None,
) -> dict[str, LinkStatus]:
    """Each distinct URL's status, in the order given; returns within about ``limits.total``,
    or at once when ``cancel`` is set (the window closing): the unfinished then have none."""
    distinct = list(dict.fromkeys(urls))
    todo, skipped = distinct[: limits.max_urls], distinct[limits.max_urls :]
    results: dict[str, LinkStatus] = {}
    lock = threading.Lock()
    done = threading.Condition(lock)
    stop = threading.Event()
    work: queue.SimpleQueue[str] = queue.SimpleQueue()
    for url in todo:
        work.put(url)

    def worker() -> None:
        while not stop.is_set():
            try:
                url = work.get_nowait()
            except queue.Empty:
                return
            result = one(url, limits, stop)
            with done:
                results[url] = result
                done.notify_all()

    for _ in range(min(limits.workers, len(todo))):
        # daemon: a lookup the resolver sits on must not keep the process alive
        threading.Thread(target=worker, name="linkcheck", daemon=True).start()
    deadline = time.monotonic() + limits.total
    with done:
        while len(results) < len(todo):
            left = deadline - time.monotonic()
            if left <= 0 or (cancel is not None and cancel.is_set()):
                break
            done.wait(min(left, 0.1))  # short waits: a cancel is seen within 0.1 s
        stop.set()
        late = f"no answer within the {limits.total:g} s the whole check may take"
        if cancel is not None and cancel.is_set():
            late = "not checked: the check was stopped"
        out = {u: results.get(u) or LinkStatus(u, error=late) for u in todo}
    for url in skipped:
        out[url] = LinkStatus(url, checked=False, error=f"not checked: over {limits.max_urls}")
    return out
