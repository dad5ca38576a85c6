"""The person's own templates and snippets: one JSON file each under COMPOSER_HOME.

    <home>/templates/<key>.json      a draft file with "name" and "description" (core/templates)
    <home>/snippets/<key>.json       a snippet file (core/snippets)

``<key>`` is the name's slug (``core.templates.slug``): "Spring Sale!" is spring-sale.json.
Writes are atomic (atomic.py: temp file, fsync, rename), files 0600 in 0700 folders. Reads are
bounded (a file and a count of files) and never raise for a bad file: it is listed as
``Damaged`` with the reason, and left on disk for the person to look at or delete.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from composer.core import jsonin
from composer.core.draft import Draft
from composer.core.errors import DraftFormatError, DraftSaveError, InvalidInput, NameTaken
from composer.core.snippets import Snippet, read_snippet_file, snippet_to_json
from composer.core.templates import (
    MAX_DESCRIPTION,
    MAX_NAME,
    Template,
    for_template,
    read_template_file,
    slug,
    template_to_json,
)
from composer.store.atomic import atomic_write_text, remove_stale_temp_files
from composer.store.paths import make_private_dirs

__all__ = ["Damaged", "NameTaken", "SnippetStore", "TemplateStore"]

MAX_FILES = 500  # listed per folder; a folder with more is someone else's business
MAX_TOTAL_BYTES = 100_000_000  # read per listing: each file is bounded, and so is the sum
_KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")

T = TypeVar("T")


@dataclass(frozen=True)
class Damaged:
    """A file in the folder that cannot be read as what it should be."""

    key: str
    path: Path
    message: str

    @property
    def name(self) -> str:
        return self.key


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def check_name(kind: str, name: str, description: str) -> str:
    """The key for ``name``, or InvalidInput naming what is wrong."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(f"{kind} name: give a name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"{kind} name: at most {MAX_NAME} characters")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"{kind} description: at most {MAX_DESCRIPTION} characters")
    key = slug(name)
    if not key:
        raise InvalidInput(f"{kind} name: use at least one letter or digit")
    return key


class _Shelf(Generic[T]):
    kind = ""

    def __init__(self, folder: str | Path, reader: Callable[[Path, str], T]) -> None:
        self.folder = Path(folder)
        self._reader: Callable[[Path, str], T] = reader

    def path_for(self, key: str) -> Path:
        if not _KEY_RE.fullmatch(key):
            raise ValueError(f"{self.kind} key {key!r} is not a slug")
        return self.folder / f"{key}.json"

    def list(self) -> list[T | Damaged]:
        """Every file, by name; never raises (a folder that cannot be listed is one Damaged)."""
        try:
            remove_stale_temp_files(self.folder)
            with os.scandir(self.folder) as it:
                names = sorted(e.name for e in it if e.name.endswith(".json"))[:MAX_FILES]
        except FileNotFoundError:
            return []
        except OSError as exc:
            return [Damaged("", self.folder, f"cannot list {self.folder}: {_why(exc)}")]
        out: list[T | Damaged] = []
        budget = MAX_TOTAL_BYTES
        for name in names:
            key = name.removesuffix(".json")
            if not _KEY_RE.fullmatch(key):
                continue  # not one of ours (ours are slugs); left alone
            try:
                size = os.stat(self.folder / name).st_size
            except OSError:
                size = 0  # read() says what is wrong with it
            if size > budget:
                why = f"{name}: not read, the folder holds more than {MAX_TOTAL_BYTES:,} bytes"
                out.append(Damaged(key, self.folder / name, why))
                continue
            budget -= size
            out.append(self.read(key))
        return out

    def read(self, key: str) -> T | Damaged:
        path = self.path_for(key)
        try:
            return self._reader(path, key)
        except DraftFormatError as exc:
            return Damaged(key, path, f"{path.name}: {exc}")
        except jsonin.InputError as exc:  # not a file, too big, not UTF-8, not sendable JSON
            return Damaged(key, path, f"{path.name}: {exc}")
        except OSError as exc:
            return Damaged(key, path, f"{path.name}: {_why(exc)}")
        except (ValueError, RecursionError) as exc:
            return Damaged(key, path, f"{path.name}: {type(exc).__name__}")

    def _write(self, key: str, name: str, doc: dict[str, Any], replace: bool) -> Path:
        import json

        path = self.path_for(key)
        if not replace and os.path.lexists(path):
            raise NameTaken(self.kind, name, path)
        try:
            text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
            make_private_dirs(self.folder)
            atomic_write_text(path, text)
        except OSError as exc:
            raise DraftSaveError(f"Could not save the {self.kind} as {path}: {_why(exc)}.") from exc
        except (TypeError, ValueError) as exc:  # a lone surrogate, say
            raise DraftSaveError(f"Could not save the {self.kind} {name!r}: {exc}.") from exc
        return path

    def delete(self, key: str) -> None:
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise DraftSaveError(f"Could not remove the {self.kind} {key}: {_why(exc)}.") from exc


def _read_template(path: Path, key: str) -> Template:
    return read_template_file(path, key)


def _read_snippet(path: Path, key: str) -> Snippet:
    return read_snippet_file(path, key)


class TemplateStore(_Shelf[Template]):
    kind = "template"

    def __init__(self, folder: str | Path) -> None:
        super().__init__(folder, _read_template)

    def save(
        self,
        name: str,
        description: str,
        draft: Draft,
        *,
        include_recipients: bool = False,
        replace: bool = False,
    ) -> Path:
        """Save ``draft`` as a template (without attachments, and without recipients unless
        ``include_recipients``). NameTaken unless ``replace``."""
        key = check_name("template", name, description)
        kept = for_template(draft, include_recipients=include_recipients)
        doc = template_to_json(" ".join(name.split()), " ".join(description.split()), kept)
        return self._write(key, name, doc, replace)


class SnippetStore(_Shelf[Snippet]):
    kind = "snippet"

    def __init__(self, folder: str | Path) -> None:
        super().__init__(folder, _read_snippet)

    def save(self, name: str, description: str, html: str, *, replace: bool = False) -> Path:
        key = check_name("snippet", name, description)
        if not html.strip():
            raise InvalidInput("snippet: select some text to save first")
        doc = snippet_to_json(" ".join(name.split()), " ".join(description.split()), html)
        return self._write(key, name, doc, replace)
