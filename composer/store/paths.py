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
import re
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
    # data is a folder the person named (COMPOSER_HOME): its own mode is theirs, never changed
    named: bool = False

    @property
    def drafts(self) -> Path:
        return self.data / "drafts"

    @property
    def sandbox(self) -> Path:
        return self.data / "sandbox"

    @property
    def templates(self) -> Path:
        return self.data / "templates"

    @property
    def snippets(self) -> Path:
        return self.data / "snippets"

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
    return Paths(config=root / "config", data=root, logs=root / "logs", named=True)


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
    followed (chmod would change what they point at), files with a second hard link or of
    another owner are left. True when the mode was changed."""
    if not _POSIX:
        return False
    try:
        st = os.lstat(path)
        if not st.st_mode & 0o077 or stat.S_ISLNK(st.st_mode) or st.st_uid != os.getuid():
            return False  # private already, a link, or someone else's (root could chmod it)
        if stat.S_ISDIR(st.st_mode):  # a sticky or setgid bit is the folder owner's choice
            os.chmod(path, PRIVATE_DIR | (st.st_mode & (stat.S_ISVTX | stat.S_ISGID)))
        elif st.st_nlink == 1:  # a second name for the file: it is not ours alone to change
            os.chmod(path, PRIVATE_FILE)
        else:
            return False
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

# What Composer writes, by folder, and nothing else: secure_home never changes the mode of a
# file it did not write, however it is named elsewhere. ``.composer-*.tmp``: atomic.py's temp
# files a crash left behind.
_TMP = r"\.composer-[^/]*\.tmp"
_OWN_FILES = {
    "data": re.compile(r"(history|outbox)\.sqlite3(-wal|-shm|-journal|\.lock|\.corrupt-[\w:.-]+)?"),
    "drafts": re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,63}}\.json(\.prev)?|{_TMP}"),
    "config": re.compile(rf"profiles\.json|{_TMP}"),
    "logs": re.compile(r"composer\.log"),
    "sandbox": re.compile(rf"\.sandbox-count\.json|\.events\.jsonl|{_TMP}"),
    # mailbox.Maildir's unique names, with the ":2,<flags>" of cur/
    "maildir": re.compile(r"\d+\.M\d+P\d+Q\d+\.[^/]+"),
}
_MAILDIR = ("tmp", "new", "cur")


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _is_dir(path: Path) -> bool:
    st = _lstat(path)  # a link is never followed: what it points at is not ours
    return st is not None and stat.S_ISDIR(st.st_mode)


def _open_to_others(path: Path) -> bool:
    st = _lstat(path)
    return st is not None and bool(st.st_mode & 0o066)


_DRAFTS_HEADER = re.compile(rb'\{\s*"format":\s*"composer-(autosave|recent)"')


def _drafts_own(path: Path) -> bool:
    """A .json in drafts/ is Composer's when it begins as its autosaves and recent list do
    (a team's notes.json dropped there is not); temp files are named for Composer alone."""
    if not path.name.endswith((".json", ".prev")):
        return True
    try:
        with open(path, "rb") as f:
            return bool(_DRAFTS_HEADER.match(f.read(64)))
    except OSError:
        return False


# A folder's kind and its known subfolders' kinds.
_Spec = tuple[str, dict[str, "_Spec"]]
_MAILDIR_SPEC: _Spec = ("sandbox", {sub: ("maildir", {}) for sub in _MAILDIR})


class _Owned:
    """The files and folders under one home that are Composer's, and the folders that are not
    wholly its own (they hold someone else's files too)."""

    def __init__(self) -> None:
        self.items: list[Path] = []
        self.shared: list[Path] = []

    def walk(self, folder: Path, spec: _Spec) -> bool:
        """Collect ``folder``'s own files and known subfolders; True when everything in it is
        Composer's (then the folder is, too). Links are never followed."""
        kind, subfolders = spec
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return False
        only_ours = True
        for entry in entries:
            path = Path(entry.path)
            if entry.name in subfolders and entry.is_dir(follow_symlinks=False):
                if self.walk(path, subfolders[entry.name]):
                    self.items.append(path)
                else:
                    only_ours = False
            elif (
                _OWN_FILES[kind].fullmatch(entry.name)
                and entry.is_file(follow_symlinks=False)
                and (kind != "drafts" or _drafts_own(path))
            ):
                self.items.append(path)
            else:
                only_ours = False
        if not only_ours:
            self.shared.append(folder)
        return only_ours


def secure_home(paths: Paths) -> list[Path]:
    """Tighten what an older Composer left readable, once per process (the Context calls it
    before it opens the first store). Only what Composer writes changes mode: the stores and
    their side files, locks and corrupt-* copies, profiles.json, drafts and autosaves, the
    recent list, the sandbox Maildir and its count, the log; and the folders of its layout
    (drafts/, sandbox/, config/, logs/) when everything in them is Composer's, and the
    platform's folders named after it. Never the folder the person named (``COMPOSER_HOME``:
    a note says when it is open to others), never a file Composer did not write
    (config/bin/tool.sh), never through a link, never a sticky bit. Logs one note when
    something was tightened; returns what was changed."""
    if not _POSIX or paths in _secured:
        return []
    _secured.add(paths)
    own = _Owned()
    data: _Spec = ("data", {"drafts": ("drafts", {}), "sandbox": _MAILDIR_SPEC})
    roots: list[tuple[Path, _Spec]] = [(paths.data, data)]
    if paths.named:  # config/ and logs/ are folders of the home, walked like drafts/
        data[1].update(config=("config", {}), logs=("logs", {}))
    else:
        roots += [(paths.config, ("config", {})), (paths.logs, ("logs", {}))]
    for root, spec in roots:  # config and data may be one folder (macOS): both kinds count
        if not _is_dir(root):
            continue
        own.walk(root, spec)
        if not paths.named:  # the platform's own folder, named after Composer
            own.items.append(root)
            own.shared = [p for p in own.shared if p != root]
    changed = [p for p in dict.fromkeys(own.items) if tighten(p)]
    if changed:
        folders = sum(1 for p in changed if p.is_dir())
        log.warning(
            "Composer's files in %s were readable by other users: made %d folder(s) 0700 and "
            "%d file(s) 0600 (private)",
            paths.data,
            folders,
            len(changed) - folders,
        )
    named = [paths.data] if paths.named else []
    left = [str(p) for p in dict.fromkeys([*named, *own.shared]) if _open_to_others(p)]
    if left:
        log.warning(
            "%s: open to other users, left as is (a folder you chose, or one holding files "
            "that are not Composer's); Composer's own files there are readable by you alone",
            ", ".join(left),
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
