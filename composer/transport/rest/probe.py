"""``composer profile test`` over REST: one authenticated ``GET {api}/account``: read-only, it
sends nothing. A 401 means the key is wrong; a 403 means the key was recognised but may not read
account details, which sending does not need (a key limited to "Transmissions: Read/Write" gets
it), so it counts as a working key. A 404 means the API URL is wrong. (The SMTP test is
smtp/probe.py.)"""

from __future__ import annotations

from composer.core.errors import TLSError, TransportError
from composer.transport.base import Step, finish_steps, tls_step
from composer.transport.rest.replies import api_error
from composer.transport.rest.session import RestEndpoint, RestSession

STEPS = ("connect", "TLS", "API URL", "API key")
_PLAIN = "not used (plain HTTP on this computer)"


def _finish(steps: list[Step]) -> list[Step]:
    return finish_steps(steps, STEPS)


def probe_rest(endpoint: RestEndpoint) -> list[Step]:
    session = RestSession(endpoint)
    where = f"{endpoint.host}:{endpoint.port}"
    try:
        session.connect()
    except TLSError as exc:
        return _finish([Step("connect", True, where), Step("TLS", False, str(exc))])
    except TransportError as exc:
        return _finish([Step("connect", False, str(exc))])
    steps = [Step("connect", True, where), tls_step("TLS", session.socket, _PLAIN)]
    try:
        status, body, _ = session.request("GET", "/account")
    except TransportError as exc:
        return _finish([*steps, Step("API URL", False, str(exc))])
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
        steps.append(Step("API key", False, session.hide(str(api_error(status, body)))))
    else:
        steps.append(Step("API URL", False, session.hide(str(api_error(status, body)))))
    return _finish(steps)
