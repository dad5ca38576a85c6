"""Fixtures for the SMTP tests over support/smtp_faults.py and support/smtp_hostile.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
from support.net import started
from support.smtp_faults import FaultServer
from support.smtp_hostile import HostilePeer


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def make_server(ca: trustme.CA, tmp_path: Path) -> Iterator[Callable[..., FaultServer]]:
    """Start FaultServer(**kwargs); every server is stopped at teardown, whatever happened."""
    with started(lambda **kwargs: FaultServer(ca, tmp_path, **kwargs)) as make:
        yield make


@pytest.fixture
def server(make_server: Callable[..., FaultServer]) -> FaultServer:
    return make_server()


@pytest.fixture
def hostile() -> Iterator[Callable[..., HostilePeer]]:
    """Start HostilePeer(script, **kwargs); every peer is stopped at teardown."""
    with started(lambda script=None, **kwargs: HostilePeer(script or {}, **kwargs)) as make:
        yield make
