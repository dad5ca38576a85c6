"""Every file the app writes lives under one root, and only its owner can read it.

``home_paths(root)`` for a chosen folder (``COMPOSER_HOME``: tests, portable installs, the
self-test); otherwise ``platform_paths()``, the platform's own config and data folders
(platformdirs). Which one is decided once, where the application's Context is built
(composer.app.context): nothing here reads the environment. Never QSettings: the core must not
need Qt to find its files.

Mail, drafts and history are private: folders Composer creates are 0700, files 0600
(issue 12, item 7). Three layers, each enough for what it covers: ``use_private_umask()`` at
process start (the CLI's ``main``, the window) for anything a library creates on our behalf
(SQLite's side files, ``mailbox``'s Maildir files, logs); explicit modes where the stores create
their files (``make_private_dirs``, ``prepare_sqlite``, atomic.py), which hold without the
umask; and ``secure_home()``, which tightens what an older version left readable, once per
process, and says so.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "Composer"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
_POSIX = os.name == "posix"  # Windows has no such modes; its profile folders are per user
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
_DATA_FILE_PREFIXES = ("history.sqlite3", "outbox.sqlite3")  # incl. side, lock and corrupt-*

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Paths:
    config: Path  # profiles, settings
    data: Path  # history, outbox, drafts, sandbox Maildir
    logs: Path

    @property
    def drafts(self) -> Path:
        return self.data / "drafts"

    @property
    def sandbox(self) -> Path:
        return self.data / "sandbox"

    @property
    def history_db(self) -> Path:
        return self.data / "history.sqlite3"

    @property
    def outbox_db(self) -> Path:
        return self.data / "outbox.sqlite3"

    @property
    def profiles_file(self) -> Path:
        return self.config / "profiles.json"


def home_paths(root: str | Path) -> Paths:
    """Everything under one folder (``COMPOSER_HOME``)."""
    root = Path(root).expanduser()
    return Paths(config=root / "config", data=root, logs=root / "logs")


def platform_paths() -> Paths:
    """The platform's own per-user folders."""
    import platformdirs

    return Paths(
        config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )


# --- private files ----------------------------------------------------------------------------


def use_private_umask() -> None:
    """At process start: whatever this process creates is the user's alone by default."""
    if _POSIX:
        os.umask(0o077)


def make_private_dirs(path: str | Path) -> Path:
    """``mkdir -p`` where every folder it creates is 0700. Folders that exist keep their mode:
    they may be the person's own (the folder an .eml goes to)."""
    path = Path(path)
    missing: list[Path] = []
    p = path
    while not os.path.lexists(p) and p != p.parent:
        missing.append(p)
        p = p.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # made a moment ago by another process
        if _POSIX:
            os.chmod(folder, PRIVATE_DIR)  # mkdir's mode went through the umask
    return path


def tighten(path: str | Path) -> bool:
    """Folder -> 0700, file -> 0600 when group or others have any access. Symlinks are never
    followed (chmod would change what they point at). True when the mode was changed."""
    if not _POSIX:
        return False
    try:
        st = os.lstat(path)
        if not st.st_mode & 0o077 or stat.S_ISLNK(st.st_mode):
            return False
        os.chmod(path, PRIVATE_DIR if stat.S_ISDIR(st.st_mode) else PRIVATE_FILE)
        return True
    except OSError:  # gone, or not ours: nothing we may change
        return False


def make_private_file(path: str | Path) -> Path:
    """Create ``path`` empty and 0600 if it is missing (never truncating); tighten it if not."""
    path = Path(path)
    if os.path.lexists(path):  # never opened for writing here: it may be read-only, or a link
        tighten(path)
        return path
    make_private_dirs(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        os.close(os.open(path, flags, PRIVATE_FILE))
    except FileExistsError:  # another process made it a moment ago
        return path
    tighten(path)  # O_CREAT's mode went through the umask
    return path


def prepare_sqlite(path: str | Path) -> Path:
    """Before ``sqlite3.connect``: the database exists and is 0600. SQLite gives its -wal, -shm
    and -journal files the database's own mode, so they are 0600 too."""
    path = Path(path)
    make_private_file(path)
    for suffix in _SQLITE_SIDE_FILES:
        tighten(path.with_name(path.name + suffix))
    return path


_secured: set[Paths] = set()


def secure_home(paths: Paths) -> list[Path]:
    """Tighten what Composer owns under ``paths``, once per process (the Context calls it
    before it opens the first store):
    the three roots, the stores and their side files, drafts, the sandbox Maildir, profiles,
    logs. Files in those roots that are not Composer's keep their mode. Logs one note when
    something was readable by others; returns what was changed."""
    if not _POSIX or paths in _secured:
        return []
    _secured.add(paths)
    candidates: list[Path] = []
    for root in (paths.data, paths.config, paths.logs):
        if root.is_dir():
            candidates.append(root)
    if paths.data.is_dir():
        candidates += [p for p in paths.data.iterdir() if p.name.startswith(_DATA_FILE_PREFIXES)]
    for owned in (paths.drafts, paths.sandbox, paths.config, paths.logs):
        if owned.is_dir():  # wholly Composer's: itself, every folder and file in it
            candidates.append(owned)
            for folder, dirs, files in os.walk(owned):
                base = Path(folder)
                candidates += [base / name for name in (*dirs, *files)]
    changed = [p for p in dict.fromkeys(candidates) if tighten(p)]
    if changed:
        folders = sum(1 for p in changed if p.is_dir())
        log.warning(
            "Composer's files in %s were readable by other users: made %d folder(s) 0700 and "
            "%d file(s) 0600 (private)",
            paths.data,
            folders,
            len(changed) - folders,
        )
    return changed


__all__ = [
    "APP_NAME",
    "PRIVATE_DIR",
    "PRIVATE_FILE",
    "Paths",
    "home_paths",
    "make_private_dirs",
    "make_private_file",
    "platform_paths",
    "prepare_sqlite",
    "secure_home",
    "tighten",
    "use_private_umask",
]
