"""Email addresses: validation without DNS, IDN domains as A-labels, comparison keys.

email-validator does the syntax work (RFC 5321/5322 and IDNA 2008 / UTS 46); this module only
adds what the relay needs: an ASCII address for the envelope and headers, and one clear sentence
when an address cannot be used.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from composer.core.draft import Recipient
from composer.core.problems import MAX_LOCAL_PART_OCTETS

__all__ = [
    "BIDI_CONTROLS",
    "AddressError",
    "ValidAddress",
    "address_key",
    "check_address",
    "describe_bidi",
    "has_control_chars",
]

# C0 controls, DEL, C1 controls and the Unicode line/paragraph separators: none of these may
# reach a header, and str.splitlines() treats several of them as line breaks.
_CONTROL = {chr(c) for c in range(0x20)} | {chr(0x7F)} | {chr(c) for c in range(0x80, 0xA0)}
_CONTROL |= {"\u2028", "\u2029"}


def has_control_chars(text: str) -> bool:
    return any(ch in _CONTROL for ch in text)


def describe_control_chars(text: str) -> str:
    """Name the first offending character the way a person would recognise it."""
    names = {"\r": "a carriage return", "\n": "a line break", "\t": "a tab", "\x00": "a NUL"}
    for ch in text:
        if ch in _CONTROL:
            return names.get(ch, f"the control character U+{ord(ch):04X}")
    return "no control character"


# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they reorder the text
# around them, so "invoice\u202efdp.exe" shows as "invoiceexe.pdf". Refused in addresses and
# file names, a warning in display text. The marks U+200E, U+200F and U+061C are not here: they
# cannot reorder letters, only neutral characters next to them, and right-to-left text uses
# them legitimately (in addresses email-validator refuses them anyway).
BIDI_CONTROLS = frozenset(
    {chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)}
)


def describe_bidi(text: str) -> str | None:
    """The first direction control in ``text``, named (None when there is none)."""
    for ch in text:
        if ch in BIDI_CONTROLS:
            return f"the invisible direction control U+{ord(ch):04X} ({unicodedata.name(ch)})"
    return None


class AddressError(ValueError):
    """One sentence saying why an address cannot be used."""


@dataclass(frozen=True)
class ValidAddress:
    addr_spec: str  # ASCII, domain as A-labels: what the envelope and headers carry
    name: str  # display name, may be non-ASCII (headers encode it)

    @property
    def domain(self) -> str:
        return self.addr_spec.rpartition("@")[2]


def check_address(recipient: Recipient) -> ValidAddress:
    """Validate one recipient; raise AddressError with a sentence a marketer understands."""
    email = recipient.email.strip()
    if not email:
        raise AddressError("the address is empty")
    if has_control_chars(recipient.name):
        raise AddressError(f"the name contains {describe_control_chars(recipient.name)}")
    if has_control_chars(email):
        raise AddressError(f"the address contains {describe_control_chars(email)}")
    bidi = describe_bidi(email)
    if bidi:
        raise AddressError(f"the address contains {bidi}, which can make it read as another")
    try:
        result = validate_email(email, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise AddressError(f"{email!r} is not a valid email address: {exc}") from None
    if result.ascii_email is None:
        # SMTPUTF8 support is not documented for the relay, so a UTF-8 local part would be
        # refused (or mangled) somewhere down the line: say so now.
        raise AddressError(
            f"{email!r} has non-ASCII characters before the @, which the relay does not accept"
        )
    local = result.ascii_email.rpartition("@")[0]
    if len(local) > MAX_LOCAL_PART_OCTETS:  # ASCII by now: characters are octets
        # email-validator checks this only in strict mode, which changes other rules too.
        raise AddressError(
            f"{email!r} has {len(local)} characters before the @; at most "
            f"{MAX_LOCAL_PART_OCTETS} are allowed"
        )
    return ValidAddress(addr_spec=result.ascii_email, name=recipient.name.strip())


def address_key(addr_spec: str) -> str:
    """Comparison key for finding the same mailbox twice (case-insensitive, as people expect)."""
    return addr_spec.casefold()
