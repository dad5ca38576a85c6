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


@pytest.fixture
def hostile():
    """Start HostilePeer(**kwargs); every peer is stopped at teardown, whatever happened."""
    from hostile_peer import HostilePeer

    peers: list[HostilePeer] = []

    def make(script=None, **kwargs) -> HostilePeer:
        peer = HostilePeer(script or {}, **kwargs)
        peers.append(peer)
        return peer.start()

    yield make
    for peer in peers:
        peer.stop()
