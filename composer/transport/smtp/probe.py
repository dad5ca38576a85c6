"""``composer profile test`` over SMTP: connect, upgrade to TLS, authenticate, quit — and say
which step worked and which did not, so a person knows what to fix. Nothing is sent.
(The REST test is rest/probe.py.)"""

from __future__ import annotations

from composer.core.errors import AuthFailed, ConnectError, TLSError, TransportError
from composer.transport.base import Step, finish_steps, tls_step
from composer.transport.smtp.session import Endpoint, SmtpSession

STEPS = ("connect", "STARTTLS", "AUTH LOGIN")


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
    return [
        Step("connect", True, f"{endpoint.host}:{session.port_used}"),
        tls_step("STARTTLS", session.socket, "not used (plain SMTP on this computer)"),
    ]


def _finish(steps: list[Step]) -> list[Step]:
    return finish_steps(steps, STEPS)
