"""What a pre-send check takes (CheckInput) and what it reports (Finding).

Pure data, no Qt and no transport: the window, ``composer check`` and ``composer send`` all build
a CheckInput from the same render/build the preview and the send use (core/render.py,
core/build.py), so the checks look at the message the relay will receive.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # types only: the window imports this module before its first paint
    from composer.core.build import OutgoingMessage
    from composer.core.draft import Draft
    from composer.core.render import Rendered

__all__ = [
    "CATEGORIES",
    "DEFAULT_CLIENTS",
    "PARTS",
    "CheckInput",
    "Finding",
    "ProfileFacts",
    "Severity",
    "Where",
]

# Where a finding points. "html" and "markdown" are the body the person edits (which one depends
# on the draft's body format), "amp" the AMP part, "text" the plain-text part; "headers" and
# "options" are fields of the form rather than lines of a body.
PARTS = ("html", "amp", "text", "markdown", "headers", "options")
CATEGORIES = ("relay", "clients", "accessibility", "links", "size", "amp")

# caniemail's "<family>.<platform>" ids (see clients.py for the whole list). The default is the
# set most senders test against: Gmail web/iOS/Android, Outlook Windows/macOS/web, Apple Mail
# macOS/iOS, Yahoo web.
DEFAULT_CLIENTS: tuple[str, ...] = (
    "gmail.desktop-webmail",
    "gmail.ios",
    "gmail.android",
    "outlook.windows",
    "outlook.macos",
    "outlook.outlook-com",
    "apple-mail.macos",
    "apple-mail.ios",
    "yahoo.desktop-webmail",
)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Sort key: errors first."""
        return _RANK[self]


_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Where:
    """A place in what the person edits. ``line``/``column`` are 1-based; None when the finding
    is about the whole part (or the place is in Composer's own Markdown template)."""

    part: str
    line: int | None = None
    column: int | None = None
    element: str | None = None  # a short rendering, like '<img src="logo.png">'

    def to_json(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "line": self.line,
            "column": self.column,
            "element": self.element,
        }


@dataclass(frozen=True)
class Finding:
    id: str  # stable, like "a11y.img-alt": tests, docs and people refer to it
    severity: Severity
    category: str  # one of CATEGORIES
    message: str  # plain words, one or two sentences
    where: Where
    clients: tuple[str, ...] = ()  # client ids affected (client-support findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": str(self.severity),
            "category": self.category,
            "message": self.message,
            "where": self.where.to_json(),
            "clients": list(self.clients),
        }


@dataclass(frozen=True)
class ProfileFacts:
    """What the checks need to know of the sending profile, without importing transport.

    ``provider`` is one of transport/profiles/providers.py's Provider values: "sparkpost",
    "sparkpost-eu", "bird", "bird-eu", "custom" (SparkPost Enterprise or another endpoint from
    the account's TAM) or "local" (Composer's own relay on this computer)."""

    provider: str
    transport: Literal["smtp", "rest"] = "smtp"
    name: str | None = None


@dataclass(frozen=True)
class CheckInput:
    draft: Draft
    rendered: Rendered  # the same render the preview and the send use
    # The built messages (build_messages): size and MIME checks read the real wire bytes. Empty
    # when the draft does not build yet (invalid address...): the body checks still run.
    messages: tuple[OutgoingMessage, ...]
    profile: ProfileFacts
    clients: tuple[str, ...] = DEFAULT_CLIENTS  # target client ids (clients.KNOWN_CLIENTS)
    sandbox_sends_used: int | None = None  # from the history; None = unknown
    online: bool = False
    # REST's substitution_data when given (relay.py: {{ }} over REST); None: none given
    substitution_data: dict[str, Any] | None = None

    @property
    def data(self) -> bytes | None:
        """The first message's bytes as DATA carries them, or None when it did not build."""
        return self.messages[0].data if self.messages else None
