"""Templates: draft files with a name and a description, to start a message from.

A template file is a draft file (``core/draft.py``'s format, so ``composer send --draft`` reads
one as it is) with two more keys::

    {"format": "composer-draft", "version": 1,
     "name": "Plain announcement",                 # what the gallery and `composer templates` show
     "description": "One message, one button …",
     ...every draft key...}

Built-in starters ship in ``resources/templates/`` (one file each, the file's stem is the
template's key); the person's own live under COMPOSER_HOME (``store/templates.py``).

What a template carries: body, AMP, plain text, subject, From, options, campaign, tags and
metadata. Never attachments (paths on one machine, and a file read from elsewhere must not mail
out ``~/.ssh/id_rsa``), and never recipients unless the person asked when saving it.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composer.core import jsonin
from composer.core.draft import Draft, draft_from_json, draft_to_json
from composer.core.errors import DraftFormatError
from composer.core.resources import resource_path

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_NAME",
    "Template",
    "builtin_templates",
    "close_names",
    "for_template",
    "slug",
    "template_from_json",
    "template_to_json",
]

MAX_NAME = 80
MAX_DESCRIPTION = 400
MAX_TEMPLATE_BYTES = 20_000_000  # as a draft file (core/draft.py MAX_DRAFT_FILE_BYTES)
BUILTIN_FOLDER = "templates"
# The gallery's order: the simplest first, the two transactional ones together.
BUILTIN_ORDER = ("announcement", "newsletter", "event-invitation", "plain-note", "receipt",
                 "password-reset")  # fmt: skip
_SLUG_DROP = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Template:
    """A starting point. ``key`` names it on the command line (``--template KEY``)."""

    key: str
    name: str
    description: str
    draft: Draft
    builtin: bool
    path: Path | None = None

    @property
    def subject(self) -> str:
        return self.draft.subject


def slug(name: str) -> str:
    """The key a name gets: lower case, runs of anything but letters and digits as one '-'.
    Empty when the name holds no letter or digit (the caller refuses such a name)."""
    return _SLUG_DROP.sub("-", name.casefold()).strip("-")[:MAX_NAME]


def for_template(draft: Draft, *, include_recipients: bool = False) -> Draft:
    """What a template keeps of a draft: no attachments, no recipients unless asked."""
    keep = dataclasses.replace(draft, attachments=[])
    if include_recipients:
        return keep
    return dataclasses.replace(keep, to=[], cc=[], bcc=[], archive=[])


def _text(doc: dict[str, Any], key: str, limit: int) -> str:
    value = doc.get(key, "")
    if not isinstance(value, str):
        raise DraftFormatError(key, "must be text")
    value = " ".join(value.split())  # one line, whatever a hand edit left
    if len(value) > limit:
        raise DraftFormatError(key, f"is {len(value)} characters; at most {limit}")
    return value


def template_from_json(
    doc: Any, key: str, *, builtin: bool = False, path: Path | None = None
) -> Template:
    """A template from a parsed file; DraftFormatError names the field that is wrong."""
    if not isinstance(doc, dict):
        raise DraftFormatError("", "a template file must hold a JSON object")
    draft = draft_from_json(doc)
    name = _text(doc, "name", MAX_NAME) or key
    description = _text(doc, "description", MAX_DESCRIPTION)
    kept = for_template(draft, include_recipients=True)  # a hand-edited file's attachments go
    return Template(key, name, description, kept, builtin, path)


def template_to_json(name: str, description: str, draft: Draft) -> dict[str, Any]:
    doc = draft_to_json(draft)
    return {"format": doc.pop("format"), "version": doc.pop("version"),
            "name": name, "description": description, **doc}  # fmt: skip


def read_template_file(path: Path, key: str, *, builtin: bool = False) -> Template:
    """One file: bounded, a regular file, UTF-8, strict JSON (jsonin), then the draft's
    rules. Raises DraftFormatError naming the field, or jsonin.InputError / OSError."""
    text = jsonin.decode_utf8(jsonin.read_regular_file(path, MAX_TEMPLATE_BYTES))
    try:
        doc = jsonin.loads(text)
    except jsonin.JsonValueError as exc:
        raise DraftFormatError(exc.where, exc.message) from None
    return template_from_json(doc, key, builtin=builtin, path=path)


def builtin_templates() -> list[Template]:
    """The starters shipped with Composer, in file-name order. A missing or broken one is a
    packaging bug: it raises (tests read every one)."""
    folder = resource_path(BUILTIN_FOLDER)
    found = [read_template_file(p, p.stem, builtin=True) for p in folder.glob("*.json")]
    rank = {k: i for i, k in enumerate(BUILTIN_ORDER)}
    return sorted(found, key=lambda t: (rank.get(t.key, len(rank)), t.key))


def close_names(wanted: str, keys: list[str], n: int = 3) -> list[str]:
    """Keys near ``wanted``, for "unknown template" messages."""
    return difflib.get_close_matches(slug(wanted) or wanted, keys, n=n, cutoff=0.5)
