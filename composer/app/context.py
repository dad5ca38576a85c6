"""One context, made at start-up and passed in (git-cola's ``context``).

The CLI's ``main`` makes one, the window receives one, the self-test makes one on a throw-away
folder. Everything that reads or writes the person's files gets its paths from here, so
``COMPOSER_HOME`` is read in exactly one place (``Context.from_environment``) and nothing
rewrites ``os.environ`` to point the app elsewhere.

The stores are opened through the context (``context.outbox()`` …): the first one opened
tightens what an older version left readable in the folders (``secure_home``, once per
process), before SQLite or the drafts store touch anything.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from composer.core.attachfiles import system_root
from composer.core.errors import BadHome
from composer.store.paths import Paths, home_paths, platform_paths, secure_home

if TYPE_CHECKING:  # the stores are imported when first opened: `composer --version` stays light
    from composer.store.drafts import DraftStore
    from composer.store.history import History
    from composer.store.outbox import Outbox
    from composer.store.templates import SnippetStore, TemplateStore
    from composer.transport.profiles.store import ProfileStore

__all__ = ["HOME_VAR", "Context", "check_home"]

HOME_VAR = "COMPOSER_HOME"  # one folder for everything (tests, portable installs)
def check_home(value: str) -> Path:
    """The folder ``COMPOSER_HOME`` names, absolute, or BadHome. Only looks (stat, readlink):
    nothing is created or changed, so a bad value is refused before anything touches the disk.

    An empty value is refused rather than read as "unset": it is nearly always a script's
    variable that did not expand (``COMPOSER_HOME=$SCRATCH composer send``), and falling back
    to the platform folders would send with, and write into, the person's real profiles,
    outbox and history, the very thing the script meant to keep apart. ``unset`` says it."""
    if not value.strip():
        raise BadHome(
            f"{HOME_VAR} is empty: name a folder, or unset it to use Composer's usual folders"
        )
    shown = f"{HOME_VAR}={value}"
    path = os.path.abspath(os.path.expanduser(value))
    # Checked on the path as written and with every link resolved (a link to /proc is /proc).
    for candidate in (path, os.path.realpath(path)):
        root = system_root(candidate)
        if root is not None:
            raise BadHome(f"{shown} is under {root}, a system folder: name a folder of your own")
    # The first part of the path that exists must be a folder: the rest is made inside it.
    probe = path
    while True:
        try:
            st = os.stat(probe)  # follows links: a link to a folder is that folder
        except FileNotFoundError:
            if os.path.islink(probe):
                raise BadHome(f"{shown}: {probe} is a link to nothing") from None
            parent = os.path.dirname(probe)
            if parent == probe:
                raise BadHome(f"{shown} cannot be reached") from None
            probe = parent
            continue
        except NotADirectoryError:  # a part of the way is a file
            probe = os.path.dirname(probe)
            continue
        except OSError as exc:
            raise BadHome(f"{shown} cannot be used: {exc.strerror or exc}") from None
        break
    if not stat.S_ISDIR(st.st_mode):
        what = "is not a folder" if probe == path else f"is inside {probe}, which is not a folder"
        raise BadHome(f"{shown} {what}")
    if not os.access(probe, os.W_OK | os.X_OK):
        verb = "cannot be written" if probe == path else f"cannot be made: {probe} is read-only"
        raise BadHome(f"{shown} {verb}")
    return Path(path)


@dataclass(frozen=True)
class Context:
    """Where the app keeps its files, and the stores, credentials and settings found there."""

    paths: Paths

    @classmethod
    def from_environment(cls) -> Context:
        """``COMPOSER_HOME`` when set, else the platform's folders: the one place it is read,
        and checked (``check_home``: BadHome, exit 2) before any store is opened."""
        home = os.environ.get(HOME_VAR)
        return cls(platform_paths() if home is None else home_paths(check_home(home)))

    @classmethod
    def at(cls, root: str | Path) -> Context:
        """Everything under ``root`` (the self-test's temporary folder, tests)."""
        return cls(home_paths(root))

    # --- stores: each call opens a fresh one (SQLite connections belong to one thread) --------

    def secure(self) -> None:
        secure_home(self.paths)  # once per process and per Paths; cheap afterwards

    def profiles(self) -> ProfileStore:
        from composer.transport.profiles.store import ProfileStore

        return ProfileStore(self.paths.profiles_file)

    def outbox(self) -> Outbox:
        from composer.store.outbox import Outbox

        self.secure()
        return Outbox(self.paths.outbox_db)

    def history(self) -> History:
        from composer.store.history import History

        self.secure()
        return History(self.paths.history_db)

    def drafts(self) -> DraftStore:
        from composer.store.drafts import DraftStore

        self.secure()
        return DraftStore(self.paths.drafts)

    def templates(self) -> TemplateStore:
        from composer.store.templates import TemplateStore

        self.secure()
        return TemplateStore(self.paths.templates)

    def snippets(self) -> SnippetStore:
        from composer.store.templates import SnippetStore

        self.secure()
        return SnippetStore(self.paths.snippets)

    @property
    def sandbox(self) -> Path:
        """The local relay's Maildir."""
        return self.paths.sandbox

    @property
    def credentials(self) -> ModuleType:
        """API keys: the system keyring, or ``COMPOSER_API_KEY`` (transport.profiles.credentials).
        Read at the last moment before a connection, never kept here."""
        from composer.transport.profiles import credentials

        return credentials

    @property
    def settings_folder(self) -> Path:
        """Where settings live (profiles.json today; nothing else is configurable yet)."""
        return self.paths.config
