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
    "MAX_LIST_RECIPIENTS",
    "MAX_TAGS",
    "METADATA_EVENT_BYTES",
    "Problem",
    "Severity",
]

MAX_CAMPAIGN_BYTES = 64
MAX_TAGS = 10
MAX_LIST_RECIPIENTS = 1000  # cc + bcc + archive together
METADATA_EVENT_BYTES = 1000  # click/open events carry at most this much metadata
GMAIL_CLIP_BYTES = 102 * 1024


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
