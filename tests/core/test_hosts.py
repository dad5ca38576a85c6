"""The one loopback rule (core.hosts): it decides where TLS may be skipped, so a key may cross
a socket in the clear only to this computer. Before issue 13 there were three copies with
different answers for "localhost.", "[::1]" and "::ffff:127.0.0.1"."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.core.hosts import is_loopback

TABLE = [
    # this computer
    ("localhost", True),
    ("LOCALHOST", True),
    ("127.0.0.1", True),
    ("127.8.9.10", True),
    ("127.255.255.254", True),
    ("::1", True),
    ("0:0:0:0:0:0:0:1", True),
    ("[::1]", True),  # a URL's or an SMTP address literal's form
    ("::ffff:127.0.0.1", True),  # the IPv4 loopback written as IPv6: never on a network
    # anything else, or not certainly this computer
    ("localhost.", False),  # the absolute name: some resolvers ask DNS for it
    ("LOCALHOST.", False),
    ("localhost.example.com", False),
    ("mylocalhost", False),
    ("127.1", False),  # inet_aton shorthand: refused rather than guessed
    ("127.000.000.001", False),
    (" 127.0.0.1", False),
    ("127.0.0.1 ", False),
    ("[127.0.0.1]", False),  # brackets are for IPv6 only
    ("[::1", False),
    ("0.0.0.0", False),
    ("::", False),
    ("::ffff:10.0.0.1", False),
    ("10.0.0.1", False),
    ("192.168.1.1", False),
    ("fe80::1", False),
    ("", False),
    ("smtp.sparkpostmail.com", False),
]


@pytest.mark.parametrize(("host", "loopback"), TABLE)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_every_layer_uses_the_one_rule(tmp_path: Path) -> None:
    """No second copy: the SMTP endpoint, the profiles, the REST URL rules and the local relay
    all refuse "localhost." the same way."""
    from composer.core.errors import ProfileError, TLSError
    from composer.relay.server import LocalRelay
    from composer.transport.profiles.rest_urls import check_api_url
    from composer.transport.smtp.session import Endpoint

    with pytest.raises(TLSError):
        Endpoint("localhost.", tls=False)
    with pytest.raises(ProfileError):
        check_api_url("http://localhost./api/v1")
    with pytest.raises(ValueError, match="loopback"):
        LocalRelay(tmp_path / "Maildir", host="localhost.", port=0)
    Endpoint("::ffff:127.0.0.1", tls=False)  # accepted everywhere
    assert check_api_url("http://[::1]:8080/api/v1") == "http://[::1]:8080/api/v1"
