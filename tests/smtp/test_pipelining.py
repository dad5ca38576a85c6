"""RFC 2920 PIPELINING: MAIL, every RCPT and DATA go in one write when the server offers it,
and every reply is still checked, in order. A refused MAIL or a group with no recipient never
lets a byte of the message content out; a server that answers DATA with 354 anyway gets a
lone "." (RFC 2920 §3.1), never half a message.

Against the scripted raw-socket peer (support/smtp_hostile.py), which records every line the
client sent, and a tiny peer below that records how the commands arrived (one packet or
several)."""

from __future__ import annotations

import socket
import threading

import pytest
from support.smtp_hostile import HostilePeer

from composer.core.build import Envelope, OutgoingMessage
from composer.core.errors import RelayRefused, TransientError
from composer.core.outcome import Status
from composer.transport.batch import SendOptions, send_batch
from composer.transport.smtp.session import Endpoint, SmtpSession

PIPELINING_EHLO = "250-hostile.example\r\n250-PIPELINING\r\n250-AUTH LOGIN\r\n250 8BITMIME"
BODY = b"From: ann@example.com\r\nSubject: secret words\r\n\r\nThe content itself.\r\n"


def _message(*rcpts: str) -> OutgoingMessage:
    return OutgoingMessage(
        envelope=Envelope("ann@example.com", tuple(rcpts)),
        data=BODY,
        message_id="<p1@example.com>",
    )


def _session(peer: HostilePeer | _PacketPeer) -> SmtpSession:
    """Plain SMTP on loopback, no AUTH: the tests are about the transaction."""
    return SmtpSession(Endpoint(peer.host, peer.port, tls=False, timeout=5, final_timeout=5))


class _PacketPeer:
    """Greets, offers PIPELINING, then records each recv() after EHLO as one packet and
    answers a whole MAIL/RCPT/DATA group at once. Bounded: 5 s per read, one connection."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = "127.0.0.1", self._listener.getsockname()[1]
        self.packets: list[bytes] = []
        self.after_dot: list[bytes] = []  # what came in the same write as the final "."
        self._listener.settimeout(5)
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> _PacketPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        conn.settimeout(5)
        with conn:
            conn.sendall(b"220 packet.example ESMTP\r\n")
            conn.recv(4096)  # EHLO
            conn.sendall(b"250-packet.example\r\n250 PIPELINING\r\n")
            group = conn.recv(65536)
            self.packets.append(group)
            commands = group.count(b"\r\n")  # MAIL, each RCPT, DATA: one reply each
            conn.sendall(b"250 ok\r\n" * (commands - 1) + b"354 go\r\n")
            data = b""
            while b"\r\n.\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            conn.sendall(b"250 2.0.0 queued\r\n")
            self.after_dot.append(data.split(b"\r\n.\r\n", 1)[1])
            with_quit = conn.recv(4096)
            if with_quit:
                conn.sendall(b"221 bye\r\n")


def test_mail_rcpt_and_data_go_in_one_write() -> None:
    with _PacketPeer() as peer:
        session = _session(peer)
        d = session.send(_message("bob@example.com", "cy@example.com"))
        session.close()
    assert d.code == 250 and d.accepted == ["bob@example.com", "cy@example.com"]
    (group,) = peer.packets
    assert group == (
        b"MAIL FROM:<ann@example.com>\r\nRCPT TO:<bob@example.com>\r\n"
        b"RCPT TO:<cy@example.com>\r\nDATA\r\n"
    )


def test_a_refused_recipient_is_per_recipient_and_the_rest_get_it(hostile) -> None:  # type: ignore[no-untyped-def]
    peer = hostile({"EHLO": PIPELINING_EHLO, "RCPT": ["250 ok", "550 5.1.1 no such user"]})
    session = _session(peer)
    d = session.send(_message("bob@example.com", "gone@example.com"))
    session.close()
    assert d.accepted == ["bob@example.com"]
    assert d.refused == {"gone@example.com": (550, "5.1.1 no such user")}
    assert peer.messages and b"The content itself." in peer.messages[0]


def test_a_refused_mail_sends_no_content_even_when_data_says_354(hostile) -> None:  # type: ignore[no-untyped-def]
    # A server out of step: MAIL refused, yet DATA answered 354. The client drops the
    # connection in the middle of that DATA: no content, no "." (which could end a live
    # transaction as an empty message were the replies out of step), nothing delivered.
    peer = hostile(
        {
            "EHLO": PIPELINING_EHLO,
            "MAIL": "550 5.7.1 sender refused",
            "RCPT": "503 5.5.1 need MAIL first",
            "DATA": "354 go ahead anyway",
            "DOT": "554 5.5.1 no valid transaction",
        }
    )
    session = _session(peer)
    with pytest.raises(RelayRefused) as caught:
        session.send(_message("bob@example.com"))
    session.close()
    assert caught.value.code == 550
    assert peer.messages == []  # no byte of content, and no "."
    assert not any("secret words" in line or "content" in line for line in peer.lines)


def test_no_recipient_accepted_and_data_refused_sends_nothing(hostile) -> None:  # type: ignore[no-untyped-def]
    peer = hostile(
        {
            "EHLO": PIPELINING_EHLO,
            "RCPT": "550 5.1.1 no such user",
            "DATA": "554 5.5.1 no valid recipients",
        }
    )
    session = _session(peer)
    with pytest.raises(RelayRefused) as caught:
        session.send(_message("gone@example.com", "lost@example.com"))
    session.close()
    assert set(caught.value.refused) == {"gone@example.com", "lost@example.com"}
    assert peer.messages == []
    assert peer.count("RSET") == 1  # the connection is reset for the next message


def test_a_4xx_to_the_pipelined_data_is_transient_and_nothing_was_sent(hostile) -> None:  # type: ignore[no-untyped-def]
    peer = hostile({"EHLO": PIPELINING_EHLO, "DATA": ["451 4.3.0 try later"]})
    session = _session(peer)
    with pytest.raises(TransientError):
        session.send(_message("bob@example.com"))
    assert peer.messages == []
    # The same connection carries the next message (the group was reset, not the link).
    d = session.send(_message("bob@example.com"))
    session.close()
    assert d.code == 250 and len(peer.messages) == 1 and peer.connections == 1


def test_the_next_message_s_envelope_rides_behind_the_final_dot() -> None:
    first, second = _message("bob@example.com"), _message("cy@example.com")
    with _PacketPeer() as peer:
        session = _session(peer)
        session.expect(second)
        d = session.send(first)
        session.close(polite=False)
    assert d.code == 250
    group = b"MAIL FROM:<ann@example.com>\r\nRCPT TO:<cy@example.com>\r\nDATA\r\n"
    assert peer.after_dot == [group]


def test_a_stray_reply_behind_a_primed_group_never_sends_the_next_message(hostile) -> None:  # type: ignore[no-untyped-def]
    # One reply too many to the first final ".": the primed group's replies are then out of
    # step. The next message must fail before its content, never be sent twice or in half.
    peer = hostile(
        {"EHLO": PIPELINING_EHLO, "DOT": ["250 2.0.0 queued\r\n250 2.0.0 stray"]}, cap=20
    )
    msgs = [
        OutgoingMessage(Envelope("ann@example.com", (f"s{i}@example.com",)), BODY, f"<m{i}@x>")
        for i in range(3)
    ]
    report = send_batch(
        msgs, None, options=SendOptions(connections=1), sessions=lambda: _session(peer)
    )
    statuses = [r.status for r in report.results]
    assert statuses[0] is Status.SENT and Status.UNKNOWN not in statuses
    # Whatever the rest became, the relay holds exactly the messages reported sent, once each
    # (the second's DATA, opened by the out-of-step 354, was never ended).
    assert len(peer.messages) == statuses.count(Status.SENT)
