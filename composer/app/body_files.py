"""File → Open HTML / Markdown (and a file dropped on the editor): a text file as the body.

Read with the bounded reader (a regular file, strict UTF-8, at most ``MAX_BODY_FILE_BYTES``),
its format told by its extension; anything else is refused with one line naming the file.
"""

from __future__ import annotations

from pathlib import Path

from composer.core import jsonin
from composer.core.draft import BodyFormat
from composer.core.errors import UsageError

__all__ = ["BODY_SUFFIXES", "MAX_BODY_FILE_BYTES", "body_format_for", "read_body_file"]

MAX_BODY_FILE_BYTES = 10 * 1024 * 1024  # a body past this would not fit a 20 MB message twice
BODY_SUFFIXES = {
    ".md": BodyFormat.MARKDOWN, ".markdown": BodyFormat.MARKDOWN, ".mdown": BodyFormat.MARKDOWN,
    ".html": BodyFormat.HTML, ".htm": BodyFormat.HTML, ".xhtml": BodyFormat.HTML,
    ".txt": BodyFormat.TEXT, ".text": BodyFormat.TEXT,
}  # fmt: skip


def body_format_for(path: str | Path) -> BodyFormat | None:
    return BODY_SUFFIXES.get(Path(path).suffix.lower())


def read_body_file(path: str | Path) -> tuple[str, BodyFormat]:
    """(the text, its format); UsageError naming the file when it cannot be the body."""
    fmt = body_format_for(path)
    shown = jsonin.shown(str(path))
    if fmt is None:
        kinds = ", ".join(sorted(BODY_SUFFIXES))
        raise UsageError(f"{shown}: not a Markdown, HTML or text file ({kinds})")
    try:
        text = jsonin.decode_utf8(jsonin.read_regular_file(path, MAX_BODY_FILE_BYTES))
    except jsonin.InputError as exc:
        raise UsageError(f"{shown}: {exc}") from None
    return text.replace("\r\n", "\n"), fmt
