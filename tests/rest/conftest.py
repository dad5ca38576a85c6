"""Fixtures for the REST tests: the fault-injecting API (support/http_faults.py) and the local
HTTP endpoint. Drafts and endpoints to use with them are in support/drafts.py and
support/endpoints.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from support.http_faults import FaultApi
from support.net import started

from composer.relay.http import LocalHttpRelay


@pytest.fixture(scope="session")
def rest_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def make_api(rest_ca: trustme.CA, tmp_path: Path) -> Iterator[Callable[..., FaultApi]]:
    """Start FaultApi(**kwargs); every API is stopped at teardown, whatever happened."""
    with started(lambda **kwargs: FaultApi(rest_ca, tmp_path, **kwargs)) as make:
        yield make


@pytest.fixture
def api(make_api: Callable[..., FaultApi]) -> FaultApi:
    return make_api()


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    return tmp_path / "Maildir"


@pytest.fixture
def local_http(maildir: Path) -> Iterator[LocalHttpRelay]:
    with LocalHttpRelay(maildir) as relay:
        yield relay
