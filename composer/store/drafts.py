"""Drafts on disk: crash-safe autosave, recovery at start-up, Save / Save As, recent files.

Autosave (research/reliability.md §5.1). Every autosave is one atomic write (temp file in the
same folder, fsync, ``os.replace``, fsync the folder) of ``<folder>/<draft_id>.json``::

    {"format": "composer-autosave", "version": 1,
     "saved_at": "2025-01-31T10:15:02.123456+00:00",    # UTC, ISO 8601
     "source_path": "/home/ann/news.json" | null,        # the file the person saved it as
     "draft": { ...the draft file's object (core/draft.py)... }}

Before each write the previous autosave is renamed to ``<draft_id>.json.prev``: one generation
back, for the day the newest file cannot be read (a disk that lied about fsync, a hand edit).
A kill at any moment leaves ``.json`` (old or new), or only ``.prev`` (killed between the
rename and the write): ``recoverable()`` reads either, so the last completed autosave — or the
one in flight, if its rename had happened — always survives.

No clean-shutdown marker: the window calls ``discard(draft_id)`` after a clean Save or when a
draft is closed, so any autosave still here at start-up belongs to a window that did not close
cleanly (a crash, a kill, a power cut). Two consequences for callers: call ``discard`` only
after the last ``autosave`` of that draft has returned (else the autosave comes back), and a
second Composer running at the same time would see the first one's live autosaves as
recoverable (there is no lock between instances).

Errors: nothing here raises a raw ``OSError``; writes raise ``DraftSaveError`` (one sentence),
reads never raise — an unreadable autosave is listed in ``DraftStore.problems`` and left on
disk untouched (``discard`` removes it when the person says so).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from composer.core import jsonin
from composer.core.draft import Draft, draft_from_json, draft_to_json, dumps_draft
from composer.core.errors import DraftFormatError, DraftSaveError
from composer.store.atomic import atomic_write_bytes, atomic_write_text, remove_stale_temp_files
from composer.store.paths import make_private_dirs

__all__ = [
    "MAX_RECENT",
    "DraftStore",
    "RecoveredDraft",
    "RecoveryProblem",
    "new_draft_id",
]

AUTOSAVE_FORMAT = "composer-autosave"
RECENT_FORMAT = "composer-recent"
FORMAT_VERSION = 1
MAX_RECENT = 10
RECENT_FILE = "recent.json"
PREV_SUFFIX = ".prev"

# Our own files, but read as untrusted (a disk that lied, a hand edit): bounded, and far above
# any draft that could be sent (MAX_DRAFT_FILE_BYTES) so that no typed text is ever refused.
MAX_AUTOSAVE_BYTES = 80_000_000
MAX_RECENT_BYTES = 1_000_000  # ten paths

# File names on every platform: no separators, no leading dot (our temp files start with one).
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")



@dataclass(frozen=True)
class RecoveredDraft:
    """An autosave a crash left behind."""

    draft_id: str
    saved_at: datetime  # aware (UTC as written; the file's mtime when the field is unusable)
    source_path: str | None  # the file it was last saved as; None: never saved by the person
    draft: Draft
    subject: str
    path: Path  # the file it was read from
    from_previous: bool = False  # True: the newest autosave was unreadable; this is .prev

    @property
    def title(self) -> str:
        return self.subject or "(no subject)"


@dataclass(frozen=True)
class RecoveryProblem:
    """An autosave that neither ``.json`` nor ``.prev`` could give back."""

    draft_id: str
    path: Path
    message: str

    def __str__(self) -> str:
        return self.message


def new_draft_id() -> str:
    """A fresh id for a compose session (the autosave's file name)."""
    return uuid.uuid4().hex


def _check_id(draft_id: str) -> str:
    if not isinstance(draft_id, str) or not _ID_RE.fullmatch(draft_id):
        raise ValueError(f"draft id {draft_id!r} must be 1-64 letters, digits, '_' or '-'")
    if draft_id == Path(RECENT_FILE).stem:
        raise ValueError(f"draft id {draft_id!r} is reserved")
    return draft_id


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


class DraftStore:
    """The drafts folder (the Context's ``paths.drafts``). Every method does disk I/O:
    the window calls them from a worker (``run_task``), never on the UI thread. Calls are
    serialised by a lock, so two workers never interleave one draft's rename and write."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.problems: list[RecoveryProblem] = []  # filled by recoverable()
        self._lock = threading.Lock()

    # --- paths ----------------------------------------------------------------------------

    def autosave_path(self, draft_id: str) -> Path:
        return self.folder / f"{_check_id(draft_id)}.json"

    def previous_path(self, draft_id: str) -> Path:
        return self.folder / f"{_check_id(draft_id)}.json{PREV_SUFFIX}"

    @property
    def recent_path(self) -> Path:
        return self.folder / RECENT_FILE

    # --- autosave -------------------------------------------------------------------------

    def autosave(self, draft_id: str, draft: Draft, source_path: str | None) -> None:
        path = self.autosave_path(draft_id)
        prev = self.previous_path(draft_id)
        doc = {
            "format": AUTOSAVE_FORMAT,
            "version": FORMAT_VERSION,
            "saved_at": datetime.now(UTC).isoformat(),
            "source_path": None if source_path is None else str(source_path),
            "draft": draft_to_json(draft),
        }
        try:
            data = json.dumps(doc, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError) as exc:  # ValueError: a lone surrogate, a NaN loop…
            raise DraftSaveError(f"The draft cannot be autosaved as JSON: {exc}.") from exc
        with self._lock:
            try:
                make_private_dirs(self.folder)
                with contextlib.suppress(FileNotFoundError):
                    os.replace(path, prev)  # one generation back; the write below fsyncs both
                atomic_write_bytes(path, data, mode=0o600)
            except OSError as exc:
                raise DraftSaveError(
                    f"Could not autosave the draft in {self.folder}: {_why(exc)}."
                ) from exc

    def discard(self, draft_id: str) -> None:
        """Remove the autosave and its previous generation (after a clean save or close)."""
        with self._lock:
            for p in (self.autosave_path(draft_id), self.previous_path(draft_id)):
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise DraftSaveError(
                        f"Could not remove the autosave {p}: {_why(exc)}."
                    ) from exc

    # --- the person's own files -----------------------------------------------------------

    def save_as(self, path: str | Path, draft: Draft) -> None:
        """Save / Save As: the draft file format, written atomically (old file or new, never
        half of either)."""
        path = Path(path)
        try:
            text = dumps_draft(draft)
            atomic_write_text(path, text)
        except OSError as exc:
            raise DraftSaveError(f"Could not save the draft as {path}: {_why(exc)}.") from exc
        except (TypeError, ValueError) as exc:
            raise DraftSaveError(f"Could not save the draft as {path}: {exc}.") from exc

    # --- recovery -------------------------------------------------------------------------

    def recoverable(self) -> list[RecoveredDraft]:
        """Autosaves left by a crash, newest first. Never raises: what cannot be read goes to
        ``self.problems``. Also deletes the temp files a kill left behind."""
        with self._lock:
            problems: list[RecoveryProblem] = []
            found: list[tuple[datetime, int, RecoveredDraft]] = []
            try:
                remove_stale_temp_files(self.folder)
                names = [e.name for e in os.scandir(self.folder) if e.is_file()]
            except FileNotFoundError:
                names = []
            except OSError as exc:
                problems.append(
                    RecoveryProblem("", self.folder, f"Cannot list {self.folder}: {_why(exc)}.")
                )
                names = []
            ids = set()
            for name in names:
                stem = name.removesuffix(PREV_SUFFIX)
                if stem.endswith(".json") and name != RECENT_FILE:
                    draft_id = stem.removesuffix(".json")
                    if _ID_RE.fullmatch(draft_id) and draft_id != Path(RECENT_FILE).stem:
                        ids.add(draft_id)
            for draft_id in sorted(ids):
                item, problem = self._recover_one(draft_id)
                if item is not None:
                    found.append(item)
                if problem is not None:
                    problems.append(problem)
            found.sort(key=lambda t: (t[0], t[1]), reverse=True)
            self.problems = problems
            return [r for _, _, r in found]

    def _recover_one(
        self, draft_id: str
    ) -> tuple[tuple[datetime, int, RecoveredDraft] | None, RecoveryProblem | None]:
        errors: list[str] = []
        for path in (self.autosave_path(draft_id), self.previous_path(draft_id)):
            # .prev alone is the last complete autosave (killed between rename and write);
            # it is an older generation only when the newest file exists and failed.
            from_previous = bool(errors)
            try:
                stat = path.stat()
                data = jsonin.read_regular_file(path, MAX_AUTOSAVE_BYTES)
                doc = jsonin.loads(jsonin.decode_utf8(data))
                item = _read_autosave(draft_id, path, doc, stat.st_mtime, from_previous)
            except FileNotFoundError:
                continue
            except OSError as exc:
                errors.append(f"{path.name}: {_why(exc)}")
            except DraftFormatError as exc:
                errors.append(f"{path.name}: {exc}")
            except jsonin.InputError as exc:  # not a file, too big, not UTF-8, not sendable JSON
                errors.append(f"{path.name}: {exc}")
            except (ValueError, RecursionError) as exc:  # e.g. JSON nested too deep
                errors.append(f"{path.name}: {type(exc).__name__}")
            else:
                return (item.saved_at, stat.st_mtime_ns, item), None
        if not errors:
            return None, None  # both vanished while we looked: discarded meanwhile
        message = f"The autosave of draft {draft_id} cannot be read ({'; '.join(errors)})."
        return None, RecoveryProblem(draft_id, self.autosave_path(draft_id), message)

    # --- recent files ---------------------------------------------------------------------

    def _read_recent(self) -> list[str]:
        try:
            data = jsonin.read_regular_file(self.recent_path, MAX_RECENT_BYTES)
            doc = jsonin.loads(jsonin.decode_utf8(data))
        except jsonin.InputError:  # missing, not a file, too big, nested 1000 deep, not JSON
            return []  # a lost recent list is not worth an error
        files = doc.get("files") if isinstance(doc, dict) else None
        if not isinstance(files, list):
            return []
        return [f for f in files if isinstance(f, str) and f]

    def recent(self) -> list[str]:
        """Recently opened or saved draft files, most recent first; only files that exist."""
        with self._lock:
            return [f for f in self._read_recent() if os.path.isfile(f)][:MAX_RECENT]

    def add_recent(self, path: str | Path) -> None:
        """Put ``path`` first in the recent list (at most ``MAX_RECENT``; files that no longer
        exist are dropped)."""
        entry = os.path.abspath(os.fspath(path))
        with self._lock:
            files = [entry] + [f for f in self._read_recent() if f != entry and os.path.isfile(f)]
            doc = {"format": RECENT_FORMAT, "version": FORMAT_VERSION, "files": files[:MAX_RECENT]}
            try:
                atomic_write_text(self.recent_path, json.dumps(doc, ensure_ascii=False, indent=2))
            except OSError as exc:
                raise DraftSaveError(
                    f"Could not update the recent files list {self.recent_path}: {_why(exc)}."
                ) from exc
            except ValueError as exc:
                raise DraftSaveError(
                    f"Could not add {entry!r} to the recent files: {exc}."
                ) from exc


def _read_autosave(
    draft_id: str, path: Path, doc: Any, mtime: float, from_previous: bool
) -> RecoveredDraft:
    if not isinstance(doc, dict) or doc.get("format") != AUTOSAVE_FORMAT:
        raise DraftFormatError("format", f"is not a {AUTOSAVE_FORMAT} document")
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise DraftFormatError("version", f"{version!r} is not one this Composer can read")
    source = doc.get("source_path")
    if source is not None and not isinstance(source, str):
        raise DraftFormatError("source_path", "must be text or null")
    if "draft" not in doc:
        raise DraftFormatError("draft", "is missing")
    # Our own file, in our private folder: a name the person gave an attachment is theirs.
    draft = draft_from_json(doc["draft"], trust_names=True)
    return RecoveredDraft(
        draft_id=draft_id,
        saved_at=_parse_time(doc.get("saved_at"), mtime),
        source_path=source,
        draft=draft,
        subject=draft.subject,
        path=path,
        from_previous=from_previous,
    )


def _parse_time(value: Any, mtime: float) -> datetime:
    if isinstance(value, str):
        try:
            stamp = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    return datetime.fromtimestamp(mtime, UTC)
