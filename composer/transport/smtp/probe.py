"""``composer profile test``: connect, upgrade to TLS, authenticate, quit — and say which
step worked and which did not, so a person knows what to fix.

Over REST the test is one authenticated ``GET {api}/account``: read-only, it sends nothing. A
401 means the key is wrong; a 403 means the key was recognised but may not read account
details, which sending does not need (a key limited to "Transmissions: Read/Write" gets it), so
it counts as a working key. A 404 means the API URL is wrong.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from composer.transport.errors import AuthFailed, ConnectError, TLSError, TransportError
from composer.transport.rest.replies import api_error
from composer.transport.rest.session import RestEndpoint, RestSession
from composer.transport.smtp.session import Endpoint, SmtpSession

STEPS = ("connect", "STARTTLS", "AUTH LOGIN")
REST_STEPS = ("connect", "TLS", "API URL", "API key")


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


def _finish(steps: list[Step], names: tuple[str, ...] = STEPS) -> list[Step]:
    reached = {s.name for s in steps}
    return steps + [Step(name, None, "not reached") for name in names if name not in reached]


def _tls_step(sock: object) -> Step:
    if isinstance(sock, ssl.SSLSocket):
        cipher = sock.cipher()
        name = cipher[0] if cipher else "?"
        return Step("TLS", True, f"{sock.version()}, {name}, certificate and host name verified")
    return Step("TLS", None, "not used (plain HTTP on this computer)")


def probe_rest(endpoint: RestEndpoint) -> list[Step]:
    session = RestSession(endpoint)
    where = f"{endpoint.host}:{endpoint.port}"
    try:
        session.connect()
    except TLSError as exc:
        return _finish([Step("connect", True, where), Step("TLS", False, str(exc))], REST_STEPS)
    except TransportError as exc:
        return _finish([Step("connect", False, str(exc))], REST_STEPS)
    steps = [Step("connect", True, where), _tls_step(session.socket)]
    try:
        status, body, _ = session.request("GET", "/account")
    except TransportError as exc:
        return _finish([*steps, Step("API URL", False, str(exc))], REST_STEPS)
    finally:
        session.close()
    if status in (200, 401, 403):
        steps.append(Step("API URL", True, f"{endpoint.url} answers"))
    if status == 200:
        steps.append(Step("API key", True, "accepted"))
    elif status == 403:
        steps.append(Step("API key", True, "accepted (it may not read account details, which "
                          "sending does not need)"))  # fmt: skip
    elif status == 401:
        steps.append(Step("API key", False, str(api_error(status, body))))
    else:
        steps.append(Step("API URL", False, str(api_error(status, body))))
    return _finish(steps, REST_STEPS)
