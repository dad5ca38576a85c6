"""Every file the app writes lives under one root.

``COMPOSER_HOME`` when set (tests, portable installs); otherwise the platform's own config and
data folders (platformdirs). Never QSettings: the core must not need Qt to find its files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "Composer"


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
    def profiles_file(self) -> Path:
        return self.config / "profiles.json"


def app_paths() -> Paths:
    home = os.environ.get("COMPOSER_HOME")
    if home:
        root = Path(home).expanduser()
        return Paths(config=root / "config", data=root, logs=root / "logs")
    import platformdirs

    return Paths(
        config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
