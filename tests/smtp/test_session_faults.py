"""The SMTP session and the send path against real servers that misbehave on purpose.

For every case: each message ends sent, failed with its reason, or unknown, and no recipient
got a message twice (``server.duplicates() == 0``).
"""

from __future__ import annotations

import pytest
from support.endpoints import smtp_endpoint as endpoint
from support.net import free_port
from support.smtp_faults import FaultServer

from composer.core.build import OutgoingMessage, build_messages
from composer.core.draft import Draft, Recipient
from composer.core.errors import TLSError
from composer.core.outcome import BatchReport
from composer.transport.batch import SendOptions, send_batch
from composer.transport.smtp.session import Endpoint, SmtpSession

FAST = SendOptions(retries=3, retry_delay=0.01, max_delay=0.05)


def messages(n: int = 1, body: str = "Hello") -> list[OutgoingMessage]:
    draft = Draft(from_addr=Recipient("ann@example.com"), subject="Test", body=body)
    return build_messages(draft, seeds=[Recipient(f"s{i}@example.com") for i in range(n)])


def send(
    server: FaultServer, msgs: list[OutgoingMessage], options: SendOptions = FAST, **kw
) -> BatchReport:
    report = send_batch(msgs, endpoint(server, **kw), options=options)
    assert server.duplicates() == 0
    assert len(report.results) == len(msgs)
    return report


def test_sends_over_verified_starttls_with_auth_login(server: FaultServer) -> None:
    (m,) = messages(body="Hello\n\n.a line starting with a dot\n")
    report = send(server, [m])
    assert report.exit_code == 0
    (r,) = report.results
    assert r.status == "sent" and r.code == 250 and "queued" in r.reply
    (got,) = server.received
    assert got.data == m.data  # byte for byte, dot-stuffing undone by the server
    assert got.rcpt_tos == ["s0@example.com"] and got.mail_from == "ann@example.com"
    assert server.handler.logins == ["LOGIN"]


def test_auth_login_even_when_plain_is_offered(make_server) -> None:
    server = make_server(offer_plain=True)
    assert send(server, messages()).exit_code == 0
    assert server.handler.logins == ["LOGIN"]


@pytest.mark.parametrize(
    ("phase", "reply"),
    [
        ("MAIL", "421 4.3.3 try later"),
        ("MAIL", "451 4.3.0 busy"),
        ("RCPT", "421 4.3.3 try later"),
        ("RCPT", "451 4.3.0 busy"),
        ("DATA", "421 4.3.3 [internal] smtpapi unable to generate unique transmission id"),
        ("DATA", "451 4.3.0 busy"),
        ("DATA", "drop-before"),
    ],
)
def test_transient_failures_are_retried_once_each(
    server: FaultServer, phase: str, reply: str
) -> None:
    if reply == "drop-before":  # a drop at MAIL on a fresh connection: nothing was sent
        phase, reply = "MAIL", "drop"
    server.script(phase, reply)
    report = send(server, messages(2))
    assert [r.status for r in report.results] == ["sent", "sent"]
    assert report.results[0].attempts == 2 and report.results[1].attempts == 1
    assert len(server.kept()) == 2
    assert report.exit_code == 0


@pytest.mark.parametrize(
    ("phase", "reply", "words", "field"),
    [
        ("MAIL", "550 5.7.1 Unconfigured Sending Domain <example.com>", "sending domain", "from"),
        ("DATA", "550 5.6.0 JSON parsing error in X-MSYS-API", "X-MSYS-API", None),
        (
            "DATA",
            "550 5.6.0 X-MSYS-API 'metadata' must be of type 'json object'",
            "X-MSYS-API",
            "metadata",
        ),
        ("DATA", "554 5.7.1 Message rejected", "refused the message", None),
    ],
)
def test_permanent_refusals_are_not_retried(
    server: FaultServer, phase: str, reply: str, words: str, field: str | None
) -> None:
    server.script(phase, reply)
    report = send(server, messages(2))
    first, second = report.results
    assert first.status == "failed" and first.attempts == 1
    assert first.code == int(reply[:3]) and reply[4:] in first.reply
    assert words in first.error and first.field == field
    assert second.status == "sent"  # one failure does not stop the batch
    assert report.exit_code == 3


def test_wrong_key_stops_the_batch_and_says_so(server: FaultServer) -> None:
    report = send(server, messages(3), password="wrong")
    assert [r.status for r in report.results] == ["failed"] * 3
    assert "API key" in report.results[0].error and report.results[0].code == 535
    assert all("not sent" in r.error for r in report.results[1:])
    assert report.exit_code == 3
    assert server.received == []


def test_drop_after_final_dot_is_unknown_and_never_resent(server: FaultServer) -> None:
    server.script("DATA", "drop")
    report = send(server, messages(2))
    first, second = report.results
    assert first.status == "unknown" and first.attempts == 1
    assert "may have been sent" in first.error
    assert second.status == "sent"
    assert [r.rcpt_tos for r in server.received] == [["s0@example.com"], ["s1@example.com"]]
    assert report.exit_code == 4


def test_reply_slower_than_the_timeout_is_unknown(server: FaultServer) -> None:
    server.script("DATA", "slow:2")
    report = send(server, messages(1), final_timeout=0.3)
    assert report.results[0].status == "unknown"
    assert len(server.received) == 1


def test_idle_drop_reconnects_transparently(make_server) -> None:
    server = make_server(idle_timeout=0.5)
    first, second = messages(2)
    with SmtpSession(endpoint(server)) as session:
        session.send(first)
        assert server.closed.wait(10), "the server should drop the idle connection"
        delivery = session.send(second)
    assert delivery.code == 250
    assert server.connections == 2 and len(server.kept()) == 2 and server.duplicates() == 0


def test_101_messages_use_two_connections(server: FaultServer) -> None:
    report = send(server, messages(101))
    assert report.count("sent") == 101
    assert server.connections == 2 and report.connections == 2
    assert len(server.kept()) == 101


def test_partial_recipient_refusal_is_reported_per_recipient(server: FaultServer) -> None:
    server.handler.rcpt_faults["bad@example.com"] = "550 5.1.1 no such user"
    draft = Draft(
        from_addr=Recipient("ann@example.com"),
        subject="x",
        body="y",
        to=[Recipient("good@example.com"), Recipient("bad@example.com")],
    )
    report = send(server, build_messages(draft))
    (r,) = report.results
    assert r.status == "sent" and r.refused == {"bad@example.com": (550, "5.1.1 no such user")}
    assert "bad@example.com" in r.error and report.exit_code == 3
    assert server.received[0].rcpt_tos == ["good@example.com"]


def test_deferred_recipient_is_retried_alone(server: FaultServer) -> None:
    server.script("RCPT", "451 4.2.1 mailbox busy")  # the first RCPT of the first attempt
    draft = Draft(
        from_addr=Recipient("ann@example.com"),
        subject="x",
        body="y",
        to=[Recipient("a@example.com"), Recipient("b@example.com")],
    )
    report = send(server, build_messages(draft))
    (r,) = report.results
    assert r.status == "sent" and r.refused == {} and r.attempts == 2
    assert [x.rcpt_tos for x in server.received] == [["b@example.com"], ["a@example.com"]]


def test_retries_are_bounded(server: FaultServer) -> None:
    server.script("DATA", "451 4.3.0 busy", times=10)
    report = send(server, messages(1), options=SendOptions(retries=2, retry_delay=0.01))
    (r,) = report.results
    assert r.status == "failed" and r.attempts == 3 and "gave up after 3" in r.error
    assert report.exit_code == 4


def test_unreachable_port_falls_back_to_the_second(server: FaultServer) -> None:
    closed = free_port()
    report = send(server, messages(1), port=closed, fallback_port=server.port)
    assert report.results[0].status == "sent"


def test_nothing_listening_fails_every_message_clearly(server: FaultServer) -> None:
    report = send(
        server, messages(2), port=free_port(), options=SendOptions(retries=1, retry_delay=0.01)
    )
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert "cannot reach" in report.results[0].error
    assert report.exit_code == 4


@pytest.mark.parametrize("case", ["no-starttls", "454", "untrusted", "wrong-host"])
def test_tls_problems_never_send_the_key_or_the_message(make_server, case: str) -> None:
    if case == "no-starttls":
        server = make_server(tls=False)
    elif case == "wrong-host":
        server = make_server(cert_hosts=("wrong.example",))
    else:
        server = make_server()
    server.refuse_starttls = case == "454"
    kw = {"ca_file": None} if case == "untrusted" else {}
    report = send(server, messages(2), **kw)
    assert [r.status for r in report.results] == ["failed", "failed"]
    assert report.exit_code == 4
    assert server.handler.logins == [] and server.received == []
    words = {
        "no-starttls": "does not offer STARTTLS",
        "454": "refused STARTTLS",
        "untrusted": "not trusted",
        "wrong-host": "not trusted",
    }[case]
    assert words in report.results[0].error


def test_no_tls_is_only_for_loopback() -> None:
    with pytest.raises(TLSError, match="loopback"):
        Endpoint(host="smtp.sparkpostmail.com", tls=False)
    Endpoint(host="127.0.0.1", tls=False)
    Endpoint(host="localhost", tls=False)
