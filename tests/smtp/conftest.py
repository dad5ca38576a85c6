"""Fixtures for the session tests; the server itself is in faultserver.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme
from faultserver import FaultServer


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def make_server(ca: trustme.CA, tmp_path: Path):
    servers: list[FaultServer] = []

    def make(**kwargs) -> FaultServer:
        server = FaultServer(ca, tmp_path, **kwargs).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server) -> FaultServer:
    return make_server()
