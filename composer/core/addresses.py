"""Email addresses: validation without DNS, IDN domains as A-labels, comparison keys.

email-validator does the syntax work (RFC 5321/5322 and IDNA 2008 / UTS 46); this module only
adds what the relay needs: an ASCII address for the envelope and headers, and one clear sentence
when an address cannot be used.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from composer.core.draft import Recipient

__all__ = ["AddressError", "ValidAddress", "address_key", "check_address", "has_control_chars"]

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
    return ValidAddress(addr_spec=result.ascii_email, name=recipient.name.strip())


def address_key(addr_spec: str) -> str:
    """Comparison key for finding the same mailbox twice (case-insensitive, as people expect)."""
    return addr_spec.casefold()
