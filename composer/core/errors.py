"""One exception tree for the whole app.

    ComposerError                  anything the app reports to a person
    ├── InvalidDraft               the draft has errors; carries the Problems
    ├── DraftFormatError           a draft file cannot be read (names the field)
    ├── HeaderError                a header value would be unsafe (injection, > 998 octets)
    └── (transport errors live in composer.transport, subclassing ComposerError)

Every ComposerError's str() is one line a person can act on; tracebacks go to the log only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from composer.core.validate import Problem


class ComposerError(Exception):
    """Base of every error the app shows to a person."""


class InvalidDraft(ComposerError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        super().__init__("; ".join(str(p) for p in errors) or "the draft is not valid")


class DraftFormatError(ComposerError):
    """A draft file is not a Composer draft, or a field in it has the wrong type."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class HeaderError(ComposerError):
    """A header could not be emitted safely."""
