"""Endpoints aimed at the loopback servers in support/, with short deadlines (5 s unless given)
so that a test which goes wrong fails instead of hanging."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from composer.transport.profiles.credentials import Secret
from composer.transport.rest.session import RestEndpoint
from composer.transport.smtp.session import Endpoint
from support import http_faults, smtp_faults


class _SmtpServer(Protocol):
    host: str
    port: int
    ca_file: Path


def smtp_endpoint(server: _SmtpServer, **overrides: Any) -> Endpoint:
    """AUTH LOGIN with the fault server's good key, STARTTLS trusting its CA."""
    fields: dict[str, Any] = dict(
        host=server.host,
        port=server.port,
        ca_file=str(server.ca_file),
        username=smtp_faults.USER,
        password=smtp_faults.GOOD_KEY,
        timeout=5.0,
        final_timeout=5.0,
    )
    fields.update(overrides)
    return Endpoint(**fields)


def rest_endpoint(
    url: str,
    ca_file: Path | str,
    key: str = http_faults.GOOD_KEY,
    *,
    timeout: float = 5.0,
    final_timeout: float = 5.0,
) -> RestEndpoint:
    """The Transmissions API at ``url`` over TLS trusting ``ca_file``, with the API's good key."""
    return RestEndpoint(
        url, Secret(key), str(ca_file), timeout=timeout, final_timeout=final_timeout
    )
