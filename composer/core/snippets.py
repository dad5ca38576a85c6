"""Snippets: blocks to insert into a body (a button, a divider, a footer …).

Snippet file format (JSON, UTF-8), built-in ones in ``resources/snippets/``, the person's own
under COMPOSER_HOME (``store/templates.py``)::

    {"format": "composer-snippet", "version": 1,
     "name": "Button (bulletproof)", "description": "…",
     "html": "<table …>…</table>",           # what an HTML body gets
     "markdown": "---" | null}               # a Markdown equivalent, when Markdown has one

A Markdown body gets ``markdown`` when there is one, else the HTML as a raw block set apart
by blank lines: Python-Markdown passes raw HTML blocks through untouched (core/render.py), and
a block must start a line and stand alone to be read as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from composer.core import jsonin
from composer.core.draft import BodyFormat
from composer.core.errors import DraftFormatError
from composer.core.resources import resource_path
from composer.core.templates import MAX_DESCRIPTION, MAX_NAME

__all__ = [
    "SNIPPET_FORMAT",
    "Snippet",
    "builtin_snippets",
    "insertion_text",
    "read_snippet_file",
    "snippet_from_json",
    "snippet_to_json",
]

SNIPPET_FORMAT = "composer-snippet"
SNIPPET_VERSION = 1
MAX_SNIPPET_BYTES = 1_000_000  # a block of a message; a megabyte is far beyond any
BUILTIN_FOLDER = "snippets"
BUILTIN_ORDER = ("button", "spacer", "divider", "image", "footer", "social", "two-columns")


@dataclass(frozen=True)
class Snippet:
    key: str
    name: str
    description: str
    html: str
    markdown: str | None = None
    builtin: bool = False
    path: Path | None = None


def _text(doc: dict[str, Any], key: str, limit: int) -> str:
    value = doc.get(key, "")
    if not isinstance(value, str):
        raise DraftFormatError(key, "must be text")
    value = " ".join(value.split())
    if len(value) > limit:
        raise DraftFormatError(key, f"is {len(value)} characters; at most {limit}")
    return value


def snippet_from_json(
    doc: Any, key: str, *, builtin: bool = False, path: Path | None = None
) -> Snippet:
    if not isinstance(doc, dict):
        raise DraftFormatError("", "a snippet file must hold a JSON object")
    if doc.get("format") != SNIPPET_FORMAT:
        raise DraftFormatError("format", f"is {doc.get('format')!r}, not a Composer snippet")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > SNIPPET_VERSION:
        raise DraftFormatError("version", f"{version!r} is not one this Composer can read")
    html = doc.get("html")
    if not isinstance(html, str) or not html.strip():
        raise DraftFormatError("html", "must be non-empty text")
    markdown = doc.get("markdown")
    if markdown is not None and not isinstance(markdown, str):
        raise DraftFormatError("markdown", "must be text or null")
    name = _text(doc, "name", MAX_NAME) or key
    return Snippet(key, name, _text(doc, "description", MAX_DESCRIPTION), html,
                   markdown or None, builtin, path)  # fmt: skip


def snippet_to_json(name: str, description: str, html: str) -> dict[str, Any]:
    return {"format": SNIPPET_FORMAT, "version": SNIPPET_VERSION, "name": name,
            "description": description, "html": html, "markdown": None}  # fmt: skip


def read_snippet_file(path: Path, key: str, *, builtin: bool = False) -> Snippet:
    text = jsonin.decode_utf8(jsonin.read_regular_file(path, MAX_SNIPPET_BYTES))
    try:
        doc = jsonin.loads(text)
    except jsonin.JsonValueError as exc:
        raise DraftFormatError(exc.where, exc.message) from None
    return snippet_from_json(doc, key, builtin=builtin, path=path)


def builtin_snippets() -> list[Snippet]:
    folder = resource_path(BUILTIN_FOLDER)
    found = [read_snippet_file(p, p.stem, builtin=True) for p in folder.glob("*.json")]
    rank = {k: i for i, k in enumerate(BUILTIN_ORDER)}
    return sorted(found, key=lambda s: (rank.get(s.key, len(rank)), s.key))


def insertion_text(snippet: Snippet, body_format: BodyFormat, before: str, after: str) -> str:
    """What goes in at the cursor, given the text ``before`` and ``after`` it on its lines.

    In Markdown, an HTML block (or a Markdown block such as ``---``) must begin a line and have
    a blank line on each side, or it is read as part of the paragraph around it."""
    if body_format is BodyFormat.MARKDOWN:
        text = snippet.markdown if snippet.markdown is not None else snippet.html
        if snippet.markdown is not None and "\n" not in text and text.startswith("!["):
            return text  # an image is inline in Markdown: it goes where the cursor is
        lead = "" if before.endswith("\n\n") or not before else (
            "\n" if before.endswith("\n") else "\n\n"
        )
        if not after:
            tail = "\n"
        else:
            tail = "" if after.startswith("\n\n") else ("\n" if after.startswith("\n") else "\n\n")
        return lead + text + tail
    return snippet.html
