"""``composer profile test``: connect, upgrade to TLS, authenticate, quit — and say which
step worked and which did not, so a person knows what to fix."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from composer.transport.errors import AuthFailed, ConnectError, TLSError, TransportError
from composer.transport.session import Endpoint, SmtpSession

STEPS = ("connect", "STARTTLS", "AUTH LOGIN")


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool | None  # None: not reached
    detail: str = ""


def probe(endpoint: Endpoint) -> list[Step]:
    session = SmtpSession(endpoint)
    steps: list[Step] = []
    try:
        session.connect()
    except ConnectError as exc:
        return _finish([Step("connect", False, str(exc))])
    except TLSError as exc:
        steps.append(Step("connect", True, f"{endpoint.host}:{session.port_used or '?'}"))
        steps.append(Step("STARTTLS", False, str(exc)))
        return _finish(steps)
    except AuthFailed as exc:
        # The handshake closed the connection; TLS came before AUTH, so it had worked.
        steps.append(Step("connect", True, f"{endpoint.host}:{session.port_used}"))
        steps.append(
            Step("STARTTLS", True, "certificate and host name verified")
            if endpoint.tls
            else Step("STARTTLS", None, "not used")
        )
        steps.append(Step("AUTH LOGIN", False, str(exc)))
        return _finish(steps)
    except TransportError as exc:
        return _finish([Step("connect", False, str(exc))])
    try:
        steps += _connected(endpoint, session)
        user = endpoint.username or ""
        steps.append(
            Step("AUTH LOGIN", True, f"accepted as {user}")
            if endpoint.username
            else Step("AUTH LOGIN", None, "no user name configured")
        )
    finally:
        session.close()
    return steps


def _connected(endpoint: Endpoint, session: SmtpSession) -> list[Step]:
    steps = [Step("connect", True, f"{endpoint.host}:{session.port_used}")]
    sock = session.socket
    if isinstance(sock, ssl.SSLSocket):
        cipher = sock.cipher()
        steps.append(
            Step(
                "STARTTLS",
                True,
                f"{sock.version()}, {cipher[0] if cipher else '?'}, "
                "certificate and host name verified",
            )
        )
    else:
        steps.append(Step("STARTTLS", None, "not used (plain SMTP on this computer)"))
    return steps


def _finish(steps: list[Step]) -> list[Step]:
    reached = {s.name for s in steps}
    return steps + [Step(name, None, "not reached") for name in STEPS if name not in reached]
