"""Fixtures for the REST tests: the fault-injecting API (restserver.py) and the local HTTP
endpoint. Drafts and endpoints to use with them are in restdata.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from restserver import FaultApi

from composer.relay.http import LocalHttpRelay


@pytest.fixture(scope="session")
def rest_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def make_api(rest_ca: trustme.CA, tmp_path: Path) -> Iterator:
    servers: list[FaultApi] = []

    def make(**kwargs: object) -> FaultApi:
        server = FaultApi(rest_ca, tmp_path, **kwargs).start()  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def api(make_api) -> FaultApi:
    return make_api()


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "Maildir"


@pytest.fixture
def local_http(maildir: Path) -> Iterator[LocalHttpRelay]:
    with LocalHttpRelay(maildir) as relay:
        yield relay
