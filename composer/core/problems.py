"""What validation reports (Problem, Severity) and the relay's documented limits.

Apart from ``validate`` so that the window can show problems and limits without importing the
address checker (email-validator and its tables) before its first paint.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "GMAIL_CLIP_BYTES",
    "MAX_CAMPAIGN_BYTES",
    "MAX_HEADER_BYTES",
    "MAX_LIST_RECIPIENTS",
    "MAX_LOCAL_PART_OCTETS",
    "MAX_MESSAGE_BYTES",
    "MAX_SUBJECT_OCTETS",
    "MAX_TAGS",
    "MESSAGE_LIMIT_SOURCE",
    "METADATA_EVENT_BYTES",
    "Problem",
    "Severity",
]

MAX_CAMPAIGN_BYTES = 64
MAX_TAGS = 10
MAX_LIST_RECIPIENTS = 1000  # cc + bcc + archive together
METADATA_EVENT_BYTES = 1000  # click/open events carry at most this much metadata
GMAIL_CLIP_BYTES = 102 * 1024

# The whole message as DATA carries it (attachments base64-encoded). The relay's documentation
# we work from (shared/seeds) states no message size limit, so this is the 20 MB that issue 12
# set for that case; it is also in the 10-25 MB band where common mail servers refuse messages.
MAX_MESSAGE_BYTES = 20_000_000
MESSAGE_LIMIT_SOURCE = "Composer's limit: the relay documents none"
# RFC 5322 §2.1.1: a line is at most 998 octets. The Subject as encoded (encoded-words joined
# by single spaces) must fit one such line, so no receiving client has to unfold a monster.
MAX_SUBJECT_OCTETS = 998
# The whole header block. The documented limits (1000 cc/bcc/archive addresses of at most 254
# octets, with names, 10 tags, a 64-byte campaign, metadata of which events keep 1000 bytes)
# give an X-MSYS-API of about 400 KB at the very worst; anything over 512 KB can only be a
# mistake or an attack, and is refused before a connection opens.
MAX_HEADER_BYTES = 512_000
MAX_LOCAL_PART_OCTETS = 64  # RFC 5321 §4.5.3.1.1


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


_LABELS = {
    "from": "From",
    "to": "To",
    "cc": "Cc",
    "bcc": "Bcc",
    "archive": "Archive",
    "subject": "Subject",
    "body": "Body",
    "plain_text": "Plain text",
    "amp_html": "AMP",
    "attachments": "Attachment",
    "inline_images": "Inline image",
    "campaign_id": "Campaign ID",
    "tags": "Tag",
    "metadata": "Metadata",
    "options.ip_pool": "IP pool",
}


@dataclass(frozen=True)
class Problem:
    field: str  # "to[0]", "cc", "metadata", "options.ip_pool", ...
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def label(self) -> str:
        """``cc[2]`` -> ``Cc #3``; ``subject`` -> ``Subject``."""
        base, _, rest = self.field.partition("[")
        word = _LABELS.get(base, base)
        if rest:
            index = rest.split("]", 1)[0]
            if index.isdigit():
                return f"{word} #{int(index) + 1}"
        return word

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"
