"""Reading SMTP replies with bounds, and telling a reply from something that only looks like one.

smtplib reads a reply line by line with a socket timeout per ``recv``: a server that drips one
byte every second, or sends ``250-`` lines forever, keeps it reading without end, whatever the
timeout (issue 12). ``BoundedSMTP`` replaces only its reply reader: each reply has one
wall-clock deadline for the whole of it (``reply_timeout``), at most ``MAX_LINES`` lines and
``MAX_BYTES`` bytes, and must be well formed (RFC 5321 §4.2: three digits, the first 2-5 and the
second 0-5, the same code on every line, ``-`` between lines). Anything else raises
``ReplyError``; the caller decides what that means at its phase (after the final "." it means
"unknown", never "send again").
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable

from composer.transport.base import connect_tcp
from composer.transport.resolve import AddrInfo, with_port

MAX_LINES = 100
MAX_BYTES = 64 * 1024
MAX_LINE = 2048  # RFC 5321 §4.5.3.1.5 allows 512; generous, still small
_READ = 4096

_LINE = re.compile(rb"(\d{3})(?:([ -])(.*))?", re.DOTALL)


class ReplyError(smtplib.SMTPException):
    """No usable reply. ``hostile``: the peer sent something, but not an SMTP reply in time
    (endless, dripped, too long, garbage); a plain silence is not hostile (an overloaded
    relay may answer the next time)."""

    def __init__(self, message: str, *, hostile: bool) -> None:
        super().__init__(message)
        self.hostile = hostile


def reply_class(code: int) -> int | None:
    """2, 4 or 5 for a code of that class with a valid second digit (x0z-x5z); None for
    anything else (1xx, 3xx here, 999, 299...)."""
    first, second = code // 100, code // 10 % 10
    if first in (2, 4, 5) and second <= 5:
        return first
    return None


def address_literal(sock: socket.socket) -> str:
    """This end's address as an EHLO argument (RFC 5321 §4.1.3): [192.0.2.1], [IPv6:2001:db8::1].
    No lookup, and no host name of this computer sent to the relay."""
    try:
        address = str(sock.getsockname()[0]).split("%", 1)[0]
    except (OSError, IndexError):
        return "[127.0.0.1]"
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


class BoundedSMTP(smtplib.SMTP):
    """smtplib.SMTP with a bounded, strict reply reader. Construct without a host, then
    ``connect()`` (so that the greeting is read by this reader too)."""

    def __init__(
        self,
        *,
        reply_timeout: float,
        on_socket: Callable[[socket.socket], None] | None = None,
        addresses: list[AddrInfo] | None = None,
        **kwargs: object,
    ) -> None:
        self.reply_timeout = reply_timeout
        self._inbuf = b""
        # Told of each socket before it connects, so that Cancel can shut it down even while
        # connect() waits on a peer that never answers (see SmtpSession.interrupt).
        self._on_socket = on_socket
        # Looked up by the session under its deadline (resolve.py), once for every port tried.
        self.addresses = addresses
        # Given, so that smtplib never calls socket.getfqdn(): a reverse lookup with no
        # deadline, before the first byte. The EHLO name is the connected address instead.
        kwargs.setdefault("local_hostname", "localhost")
        super().__init__(**kwargs)  # type: ignore[arg-type]

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        addresses = None if self.addresses is None else with_port(self.addresses, port)
        sock = connect_tcp(host, port, timeout, self._on_socket, addresses=addresses)
        self.local_hostname = address_literal(sock)
        return sock

    def encode_commands(self, commands: list[str]) -> bytes:
        """Several commands as one write (RFC 2920 PIPELINING); their replies are read with
        ``getreply`` one by one, in order. A command holding CR or LF is refused, as
        smtplib's putcmd refuses it."""
        lines = []
        for command in commands:
            if "\r" in command or "\n" in command:
                raise ValueError("command and arguments contain prohibited newline characters")
            lines.append(f"{command}\r\n".encode(self.command_encoding))
        return b"".join(lines)

    @property
    def pending_bytes(self) -> int:
        """Bytes received but not yet read as a reply (after STARTTLS: must be 0)."""
        return len(self._inbuf)

    def unasked(self) -> bytes:
        """Bytes the server sent that no command of ours has asked for yet: the reader's
        buffer plus whatever is already waiting on the socket (read without waiting). Called
        where the server must be silent (after the 354, before the final ".", after the final
        reply); anything here means the server is out of step. A closed peer is not "bytes"."""
        sock = self.sock
        if sock is None:
            return self._inbuf
        try:
            sock.setblocking(False)
            chunk = sock.recv(_READ)
            self._inbuf += chunk
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            pass  # nothing there (a TLS record with no data, e.g. a session ticket, too)
        except OSError:
            pass  # the next write or read says what happened to the connection
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(self.timeout)
        return self._inbuf

    def reset_buffer(self) -> None:
        self._inbuf = b""

    def getreply(self) -> tuple[int, bytes]:
        deadline = time.monotonic() + self.reply_timeout
        try:
            return self._read_reply(deadline)
        except ReplyError:
            self.close()  # the stream is out of step now: never reuse it
            raise
        finally:
            if self.sock is not None:
                self.sock.settimeout(self.timeout)

    def _read_reply(self, deadline: float) -> tuple[int, bytes]:
        texts: list[bytes] = []
        code: bytes | None = None
        size = 0
        while True:
            line = self._read_line(deadline, started=bool(texts))
            size += len(line) + 2
            m = _LINE.fullmatch(line)
            if m is None:
                raise ReplyError(f"not an SMTP reply: {_show(line)}", hostile=True)
            if code is not None and m.group(1) != code:
                raise ReplyError(
                    f"a reply whose lines carry different codes ({code.decode()}, "
                    f"{m.group(1).decode()})",
                    hostile=True,
                )
            code = m.group(1)
            texts.append((m.group(3) or b"").strip(b" \t"))
            if m.group(2) != b"-":
                return int(code), b"\n".join(texts)
            if len(texts) >= MAX_LINES:
                raise ReplyError(f"a reply of more than {MAX_LINES} lines", hostile=True)
            if size > MAX_BYTES:
                raise ReplyError(f"a reply of more than {MAX_BYTES} bytes", hostile=True)

    def _read_line(self, deadline: float, *, started: bool) -> bytes:
        while True:
            end = self._inbuf.find(b"\n")
            if end >= 0:
                line, self._inbuf = self._inbuf[:end], self._inbuf[end + 1 :]
                if len(line) > MAX_LINE:
                    raise ReplyError(f"a reply line of more than {MAX_LINE} bytes", hostile=True)
                return line.rstrip(b"\r")
            if len(self._inbuf) > MAX_LINE:
                raise ReplyError(f"a reply line of more than {MAX_LINE} bytes", hostile=True)
            remaining = deadline - time.monotonic()
            partial = started or bool(self._inbuf)
            if remaining <= 0 or self.sock is None:
                raise _timeout(self.reply_timeout, partial)
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(_READ)
            except TimeoutError:
                raise _timeout(self.reply_timeout, partial) from None
            except OSError as exc:
                self.close()
                raise smtplib.SMTPServerDisconnected(
                    f"Connection unexpectedly closed: {exc}"
                ) from exc
            if not chunk:
                self.close()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            self._inbuf += chunk


def _timeout(seconds: float, partial: bool) -> ReplyError:
    if partial:
        return ReplyError(
            f"the reply was still incomplete after {seconds:g} s (a server that drips its "
            "reply, or never ends it)",
            hostile=True,
        )
    return ReplyError(f"no reply within {seconds:g} s", hostile=False)


def _show(line: bytes) -> str:
    text = line[:60].decode("utf-8", "replace")
    return repr(text) + ("…" if len(line) > 60 else "")


def dot_stuff(data: bytes) -> bytes:
    """RFC 5321 §4.5.2 transparency, plus the terminating line."""
    stuffed = re.sub(rb"(?m)^\.", b"..", data)
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def quietly_close(smtp: smtplib.SMTP, *, polite: bool = True) -> None:
    """Close, with a brief QUIT first when ``polite`` (not to a peer that broke the protocol)."""
    if polite:
        if isinstance(smtp, BoundedSMTP):
            # The answer to QUIT changes nothing: don't wait a whole command timeout for it.
            smtp.reply_timeout = min(smtp.reply_timeout, 1.0)
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
    with contextlib.suppress(OSError):
        smtp.close()
