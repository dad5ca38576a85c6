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
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from composer.store.paths import Paths, home_paths, platform_paths, secure_home

if TYPE_CHECKING:  # the stores are imported when first opened: `composer --version` stays light
    from composer.store.drafts import DraftStore
    from composer.store.history import History
    from composer.store.outbox import Outbox
    from composer.transport.profiles.store import ProfileStore

__all__ = ["HOME_VAR", "Context"]

HOME_VAR = "COMPOSER_HOME"  # one folder for everything (tests, portable installs)


@dataclass(frozen=True)
class Context:
    """Where the app keeps its files, and the stores, credentials and settings found there."""

    paths: Paths

    @classmethod
    def from_environment(cls) -> Context:
        """``COMPOSER_HOME`` when set, else the platform's folders: the one place it is read."""
        home = os.environ.get(HOME_VAR)
        return cls(home_paths(home) if home else platform_paths())

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
