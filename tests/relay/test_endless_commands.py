"""The local relay against a client that never stops sending valid commands (THREATS.md: local
relay SMTP side, endless). Each command resets the idle timer, so only a count can end such a
session: past it the relay says 421 and hangs up, and the slot the client held serves the next
client. Raw sockets on loopback; every read bounded."""

from __future__ import annotations

import smtplib
import socket
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from composer.relay import LocalRelay
from composer.relay.limits import COMMAND_LIMITS

BOUND = 10.0  # seconds the whole loop may take before the test calls it endless


class RawClient:
    def __init__(self, port: int) -> None:
        self.s = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
        self.f = self.s.makefile("rb")
        self.greeting = self.reply()

    def reply(self) -> bytes:
        lines = []
        while True:
            line = self.f.readline(2048)
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    def cmd(self, line: bytes) -> bytes:
        self.s.sendall(line + b"\r\n")
        return self.reply()

    def close(self) -> None:
        self.f.close()
        self.s.close()


@pytest.mark.parametrize("verb", ["NOOP", "RSET"])
def test_a_client_looping_on_one_command_is_cut_off_and_its_slot_freed(
    tmp_path: Path, verb: str
) -> None:
    with LocalRelay(tmp_path / "Maildir", idle_timeout=30, max_connections=1) as relay:
        loop = RawClient(relay.port)
        assert loop.greeting.startswith(b"220")
        assert loop.cmd(b"EHLO loop.test").startswith(b"250")
        started = time.monotonic()
        answers = 0
        last = b""
        while time.monotonic() - started < BOUND:
            last = loop.cmd(verb.encode())
            if not last.startswith(b"250"):
                break
            answers += 1
        assert answers == COMMAND_LIMITS[verb], (answers, last)
        assert last.startswith(b"421") and f"{verb} sent too many times".encode() in last
        assert loop.f.read() == b""  # and it hangs up
        loop.close()
        # the one slot is free again: a real client delivers a message
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "ann@example.com", "bob@example.com", "after"
        msg.set_content("the slot came back\n")
        deadline = time.monotonic() + BOUND
        while True:
            try:
                with smtplib.SMTP("127.0.0.1", relay.port, timeout=BOUND) as smtp:
                    smtp.send_message(msg)
                break
            except smtplib.SMTPConnectError:  # 421 until the relay has seen the close
                assert time.monotonic() < deadline, "the slot never came back"
    assert len(list((tmp_path / "Maildir" / "new").iterdir())) == 1


def test_a_normal_session_is_far_from_the_limits(tmp_path: Path) -> None:
    """100 messages on one connection (the relay's documented most), each with a RSET and a
    NOOP between: all delivered, nothing cut off."""
    with (
        LocalRelay(tmp_path / "Maildir", idle_timeout=30) as relay,
        smtplib.SMTP("127.0.0.1", relay.port, timeout=BOUND) as smtp,
    ):
        for i in range(100):
            smtp.sendmail("ann@example.com", ["bob@example.com", "cy@example.com"],
                          f"Subject: {i}\r\n\r\nbody {i}\r\n")  # fmt: skip
            assert smtp.rset()[0] == 250
            assert smtp.noop()[0] == 250
    assert len(list((tmp_path / "Maildir" / "new").iterdir())) == 200  # a copy per recipient
