"""Which hosts are this computer: the one place where TLS may be skipped.

A plain-text SMTP login, an ``http://`` API URL and the local relay's listening address are
allowed only for a loopback host, so this rule decides whether a key may cross a socket in the
clear. It is written once, here, and strict: anything it is unsure of is *not* loopback.

    "localhost" (any case)       yes   answered by the hosts file or the resolver itself
                                       (RFC 6761 §6.3), not by a DNS server
    "localhost."                 no    not in the hosts file as written, so some resolvers ask
                                       a DNS server, and a DNS answer is not this computer
    127.0.0.0/8                  yes   the whole IPv4 loopback block (RFC 1122 §3.2.1.3)
    ::1, [::1]                   yes   the IPv6 loopback; brackets as in a URL or an SMTP
                                       address literal
    ::ffff:127.0.0.1             yes   the same IPv4 loopback address written as IPv6
                                       (IPv4-mapped); the kernel never puts it on a network, and
                                       a dual-stack listener sees local IPv4 peers this way
    0.0.0.0, ::, 127.1, " 127.0.0.1", "localhost.example.com", "[127.0.0.1]"       no
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback"]


def is_loopback(host: str) -> bool:
    """True only for a host that is certainly this computer (see the table above)."""
    if host.lower() == "localhost":
        return True
    bracketed = host.startswith("[") and host.endswith("]")
    text = host[1:-1] if bracketed else host
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        return address.is_loopback or (mapped is not None and mapped.is_loopback)
    return not bracketed and address.is_loopback
