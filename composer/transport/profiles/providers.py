"""Where mail goes: the relay endpoints Composer knows, and how each one wants to be logged in to.

SparkPost (seeds/000) and Bird (seeds/004) are the same relay under two names:

    host                                  user                                        password
    smtp.sparkpostmail.com (US)           SMTP_Injection                              <key>
    smtp.eu.sparkpostmail.com (EU)        SMTP_Injection:X-MSYS-SUBACCOUNT=<id>       <key>
    smtp.email.us-west-2.api.bird.com     SMTP_Injection:x-bird-workspace-id=<ws>   AccessKey <key>
    smtp.email.eu-west-1.api.bird.com     (Bird: the workspace is required)

all on port 587 with 2525 as the documented alternative, STARTTLS, AUTH LOGIN. ``custom`` is an
Enterprise endpoint from the account's TAM (seeds/002); ``local`` is Composer's own relay on
this computer and needs no key.

The REST API's addresses for the same providers are in rest_urls.py.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from composer.core.errors import ProfileError
from composer.core.relay_facts import facts_for

if TYPE_CHECKING:
    from composer.transport.profiles.credentials import Secret

__all__ = [
    "PRESETS",
    "Preset",
    "Provider",
    "check_host",
    "parse_provider",
    "preset",
    "smtp_password",
    "smtp_username",
    "validate_subaccount",
    "validate_workspace",
]

SMTP_USER = "SMTP_Injection"
LOCAL_HOST = "127.0.0.1"
# aiosmtpd's own default port: unprivileged, and clear of 25/587/2525 so the local relay never
# collides with a real MTA on the same machine.
LOCAL_PORT = 8025

# smtplib encodes AUTH LOGIN user and password as ASCII, so anything else would fail there
# with a UnicodeEncodeError; printable ASCII without spaces also rules out pasted line breaks.
_PRINTABLE_ASCII = re.compile(r"[!-~]+")
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit(): that accepts "١٢٣" and "²"
_LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_RE = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?")



class Provider(StrEnum):
    SPARKPOST = "sparkpost"
    SPARKPOST_EU = "sparkpost-eu"
    BIRD = "bird"
    BIRD_EU = "bird-eu"
    CUSTOM = "custom"
    LOCAL = "local"


@dataclass(frozen=True)
class Preset:
    provider: Provider
    label: str
    host: str | None  # None: the person must give one (custom)
    port: int
    fallback_port: int | None  # tried when `port` is blocked (e.g. Google Compute Engine)
    needs_key: bool
    workspace: bool  # Bird: the username carries the workspace id, and it is required
    subaccount: bool  # SparkPost kinds: the username may carry a subaccount id
    tls: bool  # the default for new profiles
    note: str = ""


# The tracking default is core/relay_facts.py's, so the note says what the checks and tooltips say.
_ENTERPRISE_NOTE = (
    f"SparkPost Enterprise: {facts_for('custom', 'smtp').tracking_why}; turn them off per "
    "message (--no-open-tracking / --no-click-tracking) if you do not want them. Ask your "
    "Technical Account Manager for the SMTP host."
)

PRESETS: dict[Provider, Preset] = {
    p.provider: p
    for p in (
        Preset(
            Provider.SPARKPOST, "SparkPost", "smtp.sparkpostmail.com", 587, 2525,
            needs_key=True, workspace=False, subaccount=True, tls=True,
        ),
        Preset(
            Provider.SPARKPOST_EU, "SparkPost EU", "smtp.eu.sparkpostmail.com", 587, 2525,
            needs_key=True, workspace=False, subaccount=True, tls=True,
        ),
        Preset(
            Provider.BIRD, "Bird US", "smtp.email.us-west-2.api.bird.com", 587, 2525,
            needs_key=True, workspace=True, subaccount=False, tls=True,
            note="Use the host where the workspace and access key were created.",
        ),
        Preset(
            Provider.BIRD_EU, "Bird EU", "smtp.email.eu-west-1.api.bird.com", 587, 2525,
            needs_key=True, workspace=True, subaccount=False, tls=True,
            note="Use the host where the workspace and access key were created.",
        ),
        Preset(
            Provider.CUSTOM, "Custom / Enterprise", None, 587, 2525,
            needs_key=True, workspace=False, subaccount=True, tls=True, note=_ENTERPRISE_NOTE,
        ),
        # The local relay listens on loopback only, without a certificate: plain SMTP is the
        # default there (store.py refuses tls=False for any other host).
        Preset(
            Provider.LOCAL, "Local relay", LOCAL_HOST, LOCAL_PORT, None,
            needs_key=False, workspace=False, subaccount=False, tls=False,
            note="Composer's own relay: nothing leaves this computer.",
        ),
    )
}  # fmt: skip


def check_host(host: str) -> None:
    """An IP address or an ASCII host name; not a URL, not host:port."""
    if not host:
        raise ProfileError("host", "is required")
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    if len(host) > 253 or not _HOST_RE.fullmatch(host):
        raise ProfileError(
            "host", f"{host!r} is not a host name (use the ASCII form; no scheme, no port)"
        )


def parse_provider(value: str | Provider) -> Provider:
    try:
        return Provider(value)
    except ValueError:
        choices = ", ".join(p.value for p in Provider)
        raise ProfileError("provider", f"{value!r} is not one of {choices}") from None


def preset(provider: str | Provider) -> Preset:
    return PRESETS[parse_provider(provider)]


def validate_subaccount(provider: Provider, subaccount: str | None) -> None:
    if subaccount is None:
        return
    p = PRESETS[provider]
    if not p.subaccount:
        raise ProfileError("subaccount", f"{p.label} has no subaccounts; leave it out")
    if not _DIGITS.fullmatch(subaccount):
        raise ProfileError("subaccount", f"{subaccount!r} must be the numeric id, like 123")


def validate_workspace(provider: Provider, workspace: str | None) -> None:
    p = PRESETS[provider]
    if workspace is None:
        if p.workspace:
            raise ProfileError("workspace", f"{p.label} needs the workspace id (--workspace)")
        return
    if not p.workspace:
        raise ProfileError("workspace", f"only Bird uses a workspace id, not {p.label}")
    if not _PRINTABLE_ASCII.fullmatch(workspace):
        raise ProfileError(
            "workspace",
            "must be the workspace id exactly as Bird shows it: not empty, no spaces, "
            "line breaks or non-ASCII characters",
        )


def smtp_username(
    provider: str | Provider, subaccount: str | None = None, workspace: str | None = None
) -> str:
    """The AUTH LOGIN user name. Raises ProfileError for a combination the relay would refuse."""
    prov = parse_provider(provider)
    validate_subaccount(prov, subaccount)
    validate_workspace(prov, workspace)
    if workspace is not None:
        return f"{SMTP_USER}:x-bird-workspace-id={workspace}"
    if subaccount is not None:
        return f"{SMTP_USER}:X-MSYS-SUBACCOUNT={subaccount}"
    return SMTP_USER


def smtp_password(provider: str | Provider, key: str | Secret) -> str:
    """The AUTH LOGIN password for an API key: Bird wants ``AccessKey <key>``.

    Returns the secret as a plain str because smtplib needs one; call this at the last moment
    and never log the result."""
    prov = parse_provider(provider)
    raw = key if isinstance(key, str) else key.reveal()
    if not _PRINTABLE_ASCII.fullmatch(raw):
        # Deliberately does not echo the key.
        raise ProfileError(
            "api key", "must be one line of printable ASCII without spaces (only the key itself)"
        )
    if PRESETS[prov].workspace:
        return f"AccessKey {raw}"
    return raw
