"""LocalRelay over real SMTP on 127.0.0.1: smtplib in the test, aiosmtpd in the relay, a real
Maildir on disk. Nothing is mocked."""

from __future__ import annotations

import json
import mailbox
import random
import re
import shutil
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
import trustme
from support.net import started

from composer.core import msys
from composer.core.build import build_message
from composer.core.draft import Draft, Recipient
from composer.relay import LocalRelay
from composer.relay.fanout import Copy
from composer.relay.maildir import deliver, list_sandbox
from composer.relay.server import SANDBOX_COUNT_FILE

FROM = "ann@example.com"
TO = "bob@example.com"
TIMEOUT = 15  # seconds; a hung server fails the test instead of hanging it


def message(api: dict[str, object] | str | None = None, subject: str = "Hello") -> bytes:
    head = f"From: {FROM}\r\nTo: {TO}\r\nSubject: {subject}\r\n"
    if api is not None:
        value = api if isinstance(api, str) else msys.format_value(api)
        head += f"X-MSYS-API: {value}\r\n"
    return (head + "\r\nBody line\r\n").encode("utf-8")


def delivered(maildir: Path) -> list[EmailMessage]:
    if not (maildir / "new").is_dir():
        return []
    box = mailbox.Maildir(maildir, create=False)
    return [
        message_from_bytes(box.get_bytes(k), policy=policy.default)  # type: ignore[misc]
        for k in box.iterkeys()
    ]


def by_rcpt(maildir: Path) -> dict[str, EmailMessage]:
    msgs = delivered(maildir)
    found = {str(m["Delivered-To"]): m for m in msgs}
    assert len(found) == len(msgs), "one message per recipient"
    return found


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "Maildir"


@pytest.fixture
def start_relay(maildir: Path) -> Iterator[Callable[..., LocalRelay]]:
    def relay(**kwargs: object) -> LocalRelay:
        kwargs.setdefault("maildir", maildir)
        kwargs.setdefault("idle_timeout", 30)
        return LocalRelay(**kwargs)  # type: ignore[arg-type]

    with started(relay) as start:
        yield start


@pytest.fixture
def relay(start_relay: Callable[..., LocalRelay]) -> LocalRelay:
    return start_relay()


def smtp(relay: LocalRelay) -> smtplib.SMTP:
    return smtplib.SMTP("127.0.0.1", relay.port, timeout=TIMEOUT)


# --- fan-out over the wire --------------------------------------------------------------------


def test_cc_bcc_archive_become_one_message_per_recipient(relay: LocalRelay, maildir: Path) -> None:
    draft = Draft(
        from_addr=Recipient(FROM, "Ann"),
        to=[Recipient(TO, "Bob")],
        subject="Quarterly news",
        body="# News\n\nHello.",
        cc=[Recipient("cc1@example.com", "CC 1"), Recipient("cc2@example.com", "Zoë")],
        bcc=[Recipient("bcc1@example.com", "BCC 1")],
        archive=[Recipient("arch@example.com")],
    )
    m = build_message(draft)
    with smtp(relay) as s:
        assert s.sendmail(m.envelope.mail_from, list(m.envelope.rcpt_to), m.data) == {}
    found = by_rcpt(maildir)
    assert sorted(found) == sorted(
        [TO, "cc1@example.com", "cc2@example.com", "bcc1@example.com", "arch@example.com"]
    )
    for rcpt, msg in found.items():
        assert msg["Cc"] == "CC 1 <cc1@example.com>, Zoë <cc2@example.com>"
        assert "X-MSYS-API" not in msg
        assert msg["Subject"] == "Quarterly news"
        assert msg["Message-ID"] == m.message_id
        if rcpt == "bcc1@example.com":
            assert msg.get_all("Bcc") == ["BCC 1 <bcc1@example.com>"]
        else:
            assert "Bcc" not in msg
    kinds = {rcpt: str(msg["X-Relay-Rcpt-Type"]) for rcpt, msg in found.items()}
    assert kinds == {
        TO: "to",
        "cc1@example.com": "cc",
        "cc2@example.com": "cc",
        "bcc1@example.com": "bcc",
        "arch@example.com": "archive",
    }
    assert len({str(msg["X-Relay-Transmission-Id"]) for msg in found.values()}) == 1


def test_the_data_reply_names_the_count_and_the_transmission_id(
    relay: LocalRelay, maildir: Path
) -> None:
    with smtp(relay) as s:
        s.ehlo()
        assert s.mail(FROM)[0] == 250
        assert s.rcpt(TO)[0] == 250
        code, text = s.data(message({"bcc": ["x@example.com"], "archive": ["y@example.com"]}))
    assert code == 250
    m = re.fullmatch(rb"2\.0\.0 OK 3 message\(s\) queued as ([1-9]\d{17})", text)
    assert m, text
    ids = {str(msg["X-Relay-Transmission-Id"]) for msg in delivered(maildir)}
    assert ids == {m.group(1).decode()}


def test_list_sandbox_reads_back_what_was_delivered(relay: LocalRelay, maildir: Path) -> None:
    with smtp(relay) as s:
        s.sendmail(FROM, [TO], message({"cc": ["c@example.com"]}, subject="First"))
        s.sendmail(FROM, [TO], message(None, subject="Grüße"))
    listed = list_sandbox(maildir)
    assert (listed[0].rcpt, listed[0].rcpt_type) == (TO, "to")
    assert {(c.subject, c.rcpt, c.rcpt_type) for c in listed} == {
        ("First", TO, "to"),
        ("First", "c@example.com", "cc"),
        ("Grüße", TO, "to"),
    }
    assert listed[0].subject == "Grüße"  # newest first
    assert all(c.path.is_file() and len(c.transmission_id) == 18 for c in listed)
    assert list_sandbox(maildir / "missing") == []


# --- documented refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "text"),
    [
        ("{not json", b"5.6.0 JSON parsing error in X-MSYS-API"),
        ({"metadata": ["a", "list"]}, b"5.6.0 X-MSYS-API 'metadata' must be of type 'json object'"),
        ({"campaign_id": "c" * 65}, b"5.6.0 smtpapi_campaign_id context is limited to 64 bytes"),
    ],
)
def test_550_replies_arrive_as_data_errors_and_nothing_is_delivered(
    relay: LocalRelay, maildir: Path, api: dict[str, object] | str, text: bytes
) -> None:
    with smtp(relay) as s:
        with pytest.raises(smtplib.SMTPDataError) as info:
            s.sendmail(FROM, [TO], message(api))
        assert (info.value.smtp_code, info.value.smtp_error) == (550, text)
        # the session goes on: the next message is accepted
        s.sendmail(FROM, [TO], message({"cc": ["c@example.com"]}))
    assert sorted(by_rcpt(maildir)) == ["bob@example.com", "c@example.com"]


def test_no_smtputf8_and_only_auth_login_are_advertised(relay: LocalRelay) -> None:
    with smtp(relay) as s:
        s.ehlo()
        assert "smtputf8" not in s.esmtp_features
        assert s.esmtp_features["auth"].split() == ["LOGIN"]
        assert "starttls" not in s.esmtp_features


# --- AUTH LOGIN -------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["SMTP_Injection", "SMTP_Injection:X-MSYS-SUBACCOUNT=123"])
def test_auth_login_accepts_smtp_injection_with_any_password(
    relay: LocalRelay, maildir: Path, user: str
) -> None:
    with smtp(relay) as s:
        assert s.login(user, "anything at all")[0] == 235
        s.sendmail(FROM, [TO], message())
    assert list(by_rcpt(maildir)) == [TO]


@pytest.mark.parametrize(("user", "password"), [("someone", "key"), ("SMTP_Injection", "")])
def test_bad_user_or_empty_password_is_535(relay: LocalRelay, user: str, password: str) -> None:
    with smtp(relay) as s, pytest.raises(smtplib.SMTPAuthenticationError) as info:
        s.login(user, password)
    assert info.value.smtp_code == 535


def test_require_auth_refuses_mail_before_login(
    start_relay: Callable[..., LocalRelay], maildir: Path
) -> None:
    relay = start_relay(require_auth=True)
    with smtp(relay) as s:
        s.ehlo()
        assert s.mail(FROM)[0] == 530
        s.rset()
        s.login("SMTP_Injection", "k")
        s.sendmail(FROM, [TO], message())
    assert list(by_rcpt(maildir)) == [TO]


# --- STARTTLS ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_relay(ca: trustme.CA, tmp_path: Path, start_relay: Callable[..., LocalRelay]) -> LocalRelay:
    pem = tmp_path / "server.pem"
    ca.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(pem))
    return start_relay(tls_cert=pem, tls_key=pem)


def test_starttls_then_login_then_send(
    tls_relay: LocalRelay, ca: trustme.CA, maildir: Path
) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with smtp(tls_relay) as s:
        s.ehlo()
        assert "starttls" in s.esmtp_features
        assert "auth" not in s.esmtp_features  # AUTH only once encrypted
        s.starttls(context=context)
        s.ehlo()
        assert s.esmtp_features["auth"].split() == ["LOGIN"]
        s.login("SMTP_Injection", "key")
        s.sendmail(FROM, [TO], message({"bcc": ["b@example.com"]}))
    assert sorted(by_rcpt(maildir)) == ["b@example.com", TO]


def test_mail_before_starttls_is_refused_530(tls_relay: LocalRelay, maildir: Path) -> None:
    with smtp(tls_relay) as s:
        s.ehlo()
        code, text = s.mail(FROM)
    assert (code, text) == (530, b"Must issue a STARTTLS command first")
    assert delivered(maildir) == []


def test_an_untrusted_certificate_is_refused_by_a_verifying_client(tls_relay: LocalRelay) -> None:
    with smtp(tls_relay) as s, pytest.raises(ssl.SSLCertVerificationError):
        s.starttls(context=ssl.create_default_context())


# --- where it listens -------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com", ""])
def test_a_non_loopback_host_is_refused_at_construction(tmp_path: Path, host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        LocalRelay(tmp_path / "m", host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "localhost", "LOCALHOST"])
def test_loopback_hosts_are_accepted(tmp_path: Path, host: str) -> None:
    assert LocalRelay(tmp_path / "m", host=host).host in {"127.0.0.1", "127.0.0.53", "::1"}


def test_localhost_listens_on_127_0_0_1_and_the_context_manager_stops_it(maildir: Path) -> None:
    with LocalRelay(maildir, host="localhost") as relay:
        assert relay.host == "127.0.0.1" and relay.port > 0
        with smtp(relay) as s:
            s.sendmail(FROM, [TO], message())
        port = relay.port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()
    assert list(by_rcpt(maildir)) == [TO]


def test_a_port_in_use_fails_at_start(maildir: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        relay = LocalRelay(maildir, port=busy.getsockname()[1])
        with pytest.raises(OSError):
            relay.start()
        assert not relay.running


def test_restart_on_the_same_port(start_relay: Callable[..., LocalRelay], maildir: Path) -> None:
    first = start_relay()
    port = first.port
    first.stop()
    second = start_relay(port=port)
    with smtp(second) as s:
        s.sendmail(FROM, [TO], message())
    assert list(by_rcpt(maildir)) == [TO]


# --- sandbox allowance ------------------------------------------------------------------------


def test_sandbox_sends_are_counted_noted_past_the_limit_and_persist(
    start_relay: Callable[..., LocalRelay], maildir: Path
) -> None:
    assert LocalRelay(maildir).sandbox_limit == 5
    relay = start_relay(sandbox_limit=2)
    sandbox = {"options": {"sandbox": True}}
    with smtp(relay) as s:
        for i in range(3):
            s.sendmail(FROM, [TO], message(sandbox, subject=f"s{i}"))
        s.sendmail(FROM, [TO], message({"options": {"sandbox": False}}, subject="plain"))
    assert relay.sandbox_count == 3
    notes = {str(m["Subject"]): m["X-Relay-Sandbox-Note"] for m in delivered(maildir)}
    assert notes == {
        "s0": None,
        "s1": None,
        "s2": "over the sandbox allowance of 2 (count 3)",
        "plain": None,
    }
    relay.stop()

    again = start_relay(sandbox_limit=2)
    assert again.sandbox_count == 3
    with smtp(again) as s:
        s.sendmail(FROM, [TO], message(sandbox))
    assert again.sandbox_count == 4
    saved = json.loads((maildir / SANDBOX_COUNT_FILE).read_text(encoding="utf-8"))
    assert saved == {"sandbox_messages": 4}


def test_a_refused_sandbox_message_is_not_counted(relay: LocalRelay) -> None:
    with smtp(relay) as s, pytest.raises(smtplib.SMTPDataError):
        s.sendmail(FROM, [TO], message({"options": {"sandbox": True}, "metadata": []}))
    assert relay.sandbox_count == 0


# --- hostile input never kills the server ----------------------------------------------------

HOSTILE = [
    b"Subject: \xff\xfe\x80 not utf-8\r\nX-Bad: \xc3\x28\r\n\r\nbody \xff\r\n",
    b"Subject: long\r\nX-Long: " + b"a" * 5000 + b"\r\n\r\nbody\r\n",
    b"Subject: no separator\r\nthis is body text straight away\r\n",
    b'X-MSYS-API: {"cc": ["\xff@example.com"]}\r\n\r\nbody\r\n',
    b"X-MSYS-API: " + b"[" * 400 + b"\r\n\r\n",
    b"\x00\x01\x02: \x00\r\n\r\n\x00",
    b"",
    b"\r\n\r\n\r\n",
    b" continuation first\r\n\tand again\r\n",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_a_hostile_message_never_kills_the_server(
    relay: LocalRelay, maildir: Path, payload: bytes
) -> None:
    with smtp(relay) as s:
        try:
            s.sendmail(FROM, [TO], payload)
        except smtplib.SMTPDataError as exc:
            assert exc.smtp_code in (500, 550), exc  # refused, not an internal error
    with smtp(relay) as s:
        s.sendmail(FROM, ["after@example.com"], message(subject="after"))
    assert "after@example.com" in by_rcpt(maildir)


def test_random_garbage_on_one_connection_gets_a_reply_every_time(
    relay: LocalRelay, maildir: Path
) -> None:
    rng = random.Random(20240601)
    pieces = [b"X-MSYS-API: ", b'{"cc":["c@example.com"]}', b"\r\n ", b"\r\n", b"\n", b"\xff"]
    pieces += [b"Cc: x@example.com", b"\r\n\r\n", b"{", b"\x00", b"Subject: s", b"."]
    codes = []
    with smtp(relay) as s:
        for _ in range(60):
            payload = b"".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40)))
            try:
                s.sendmail(FROM, [TO], payload)
                codes.append(250)
            except smtplib.SMTPDataError as exc:
                codes.append(exc.smtp_code)
        s.sendmail(FROM, ["last@example.com"], message())
    assert set(codes) <= {250, 500, 550} and 250 in codes
    rcpts = [str(m["Delivered-To"]) for m in delivered(maildir)]
    assert rcpts.count("last@example.com") == 1
    assert rcpts.count(TO) == codes.count(250)


def test_an_internal_failure_is_451_and_the_server_recovers(
    relay: LocalRelay, maildir: Path
) -> None:
    # A Maildir that cannot be written (its new/ is a file): a fault from the real disk.
    api = {"cc": ["c@example.com"], "options": {"sandbox": True}}
    shutil.rmtree(maildir / "new")
    (maildir / "new").write_bytes(b"not a folder")
    with smtp(relay) as s:
        with pytest.raises(smtplib.SMTPDataError) as info:
            s.sendmail(FROM, [TO], message(api))
        assert (info.value.smtp_code, info.value.smtp_error) == (451, b"4.3.0 local relay error")
        (maildir / "new").unlink()
        s.sendmail(FROM, [TO], message(api))
    assert sorted(by_rcpt(maildir)) == ["bob@example.com", "c@example.com"]
    assert not list((maildir / "tmp").iterdir())
    assert relay.sandbox_count == 1  # the failed attempt was not counted


def test_delivery_is_all_or_none(maildir: Path) -> None:
    good = Copy("a@example.com", "to", b"Subject: a\r\n\r\nbody\r\n")
    broken = Copy("b@example.com", "cc", "text, not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        deliver(maildir, [good, good, broken])
    assert delivered(maildir) == []
    assert len(deliver(maildir, [good, good])) == 2
