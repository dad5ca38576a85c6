"""Replies nobody asked for yet, and server text that echoes the key or carries control
characters (issue 12, the stranger's findings 1, 8, 2 and 10a), against the hostile peer.

A reply sent with the 354 used to be read as the answer to the final "." (a 451 there: the
message was sent twice; a 250: a 554 reported as sent). Now the "." is never written to such a
server; a second reply after the final one makes the outcome unknown.
"""

from __future__ import annotations

import base64

import pytest
from support.smtp_hostile import Echo, HostilePeer

from composer.core.build import OutgoingMessage, build_messages
from composer.core.draft import Draft, Recipient
from composer.core.outcome import Status
from composer.transport.batch import SendOptions, send_batch
from composer.transport.smtp.session import Endpoint

FAST = SendOptions(retries=3, retry_delay=0.01, max_delay=0.05)

KEY = "k3y-Echoed-0123456789"
KEY64 = base64.b64encode(KEY.encode()).decode()


def messages(n: int) -> list[OutgoingMessage]:
    draft = Draft(from_addr=Recipient("ann@example.com"), subject="Test", body="Hello")
    return build_messages(draft, seeds=[Recipient(f"s{i}@example.com") for i in range(n)])


def send(peer: HostilePeer, n: int = 1):
    ep = Endpoint(host=peer.host, port=peer.port, tls=False, username="SMTP_Injection",
                  password=KEY, timeout=1.0, final_timeout=1.5)  # fmt: skip
    return send_batch(messages(n), ep, options=FAST)


def no_key(*texts: object) -> None:
    for t in texts:
        assert KEY not in str(t) and KEY64 not in str(t) and KEY64.rstrip("=") not in str(t)


@pytest.mark.parametrize("stray", ["451 4.3.0 stray", "250 2.0.0 early"])
def test_a_reply_sent_with_the_354_fails_the_message_and_the_dot_is_never_written(
    hostile, stray: str
) -> None:
    # after the ".", a real server would answer 554: never reached, never "sent"
    peer = hostile({"DATA": f"354 go ahead\r\n{stray}", "DOT": "554 5.7.1 no"})
    (r,) = send(peer).results
    assert r.status == Status.FAILED and r.attempts == 1, r
    assert "answered before the message ended" in r.error and "broke the SMTP protocol" in r.error
    assert peer.count("DATA") == 1 and peer.messages == []  # no "." ever reached it
    assert peer.connections == 1  # not retried


def test_a_second_reply_after_the_final_one_is_unknown(hostile) -> None:
    peer = hostile({"DOT": "250 2.0.0 OK queued\r\n451 4.3.0 and also this"})
    (r,) = send(peer).results
    assert r.status == Status.UNKNOWN and r.attempts == 1, r
    assert "more than one reply" in r.error
    assert len(peer.messages) == 1


ECHOES = {
    "535 plain": "535 5.7.8 bad key {key}",
    "535 base64": "535 5.7.8 authentication failed for {key64}",
    "535 base64 unpadded": "535 5.7.8 x{key64}y",
}


@pytest.mark.parametrize("case", ECHOES)
def test_a_key_echoed_at_auth_is_hidden(hostile, case: str) -> None:
    peer = hostile({"AUTH_PASS": Echo(ECHOES[case])})
    (r,) = send(peer).results
    assert r.status == Status.FAILED
    no_key(r.error, r.reply)
    assert "[key hidden]" in r.reply


def test_a_454_at_auth_is_retried_once_and_the_key_stays_hidden(hostile) -> None:
    peer = hostile({"AUTH_PASS": Echo("454 4.7.0 temporary failure for {key} / {key64}")})
    (r,) = send(peer, 3).results[0:1]
    assert r.status == Status.FAILED
    no_key(r.error, r.reply)
    assert peer.passwords_sent == 2  # one retry, then the batch stops: not 4 times, not 3x2


def test_a_key_echoed_later_is_hidden_too(hostile) -> None:
    peer = hostile({"AUTH_PASS": "235 ok", "RCPT": Echo("550 5.1.1 no user {key}"),
                    "DATA": "354 go", "DOT": "250 2.0.0 queued"})  # fmt: skip
    report = send(peer)
    (r,) = report.results
    no_key(r.error, r.reply, r.refused)


def test_control_characters_in_server_text_are_replaced(hostile) -> None:
    peer = hostile({"MAIL": "550 5.7.1 \x1b]0;pwned\x07 \x1b[2J\x9b31m refused\u2028x"})
    (r,) = send(peer).results
    assert r.status == Status.FAILED
    for text in (r.error, r.reply):
        assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in text), repr(text)
    assert "pwned" in r.reply and "refused" in r.reply
