"""`profile test`'s probe: which step worked and which did not, against real servers."""

from __future__ import annotations

from support.endpoints import smtp_endpoint as ep
from support.net import free_port
from support.smtp_faults import FaultServer

from composer.transport.smtp.probe import probe


def outcome(steps) -> list[tuple[str, bool | None]]:
    return [(s.name, s.ok) for s in steps]


def test_every_step_works(server: FaultServer) -> None:
    steps = probe(ep(server))
    assert outcome(steps) == [("connect", True), ("STARTTLS", True), ("AUTH LOGIN", True)]
    assert "TLSv1." in steps[1].detail and "verified" in steps[1].detail
    assert server.received == []


def test_wrong_key_fails_at_auth(server: FaultServer) -> None:
    steps = probe(ep(server, password="nope"))
    assert outcome(steps) == [("connect", True), ("STARTTLS", True), ("AUTH LOGIN", False)]
    assert "API key" in steps[2].detail


def test_untrusted_certificate_fails_at_starttls(server: FaultServer) -> None:
    steps = probe(ep(server, ca_file=None))
    assert outcome(steps) == [("connect", True), ("STARTTLS", False), ("AUTH LOGIN", None)]
    assert "not trusted" in steps[1].detail
    assert server.handler.logins == []


def test_nothing_listening_fails_at_connect(server: FaultServer) -> None:
    steps = probe(ep(server, port=free_port()))
    assert outcome(steps) == [("connect", False), ("STARTTLS", None), ("AUTH LOGIN", None)]
