"""What the window remembers between runs (splitter positions, which panels are open, its
geometry) and its few preferences (when to ask before a send), in one INI file.

The file is ``window.ini`` in the app's settings folder (``Context.settings_folder``), so it
follows ``COMPOSER_HOME`` like every other file: each test gets its own. QSettings is used only
here, in the GUI layer (the stores below never need Qt). The file is tiny and read once at
start and written on close, like the person's own action of closing the window.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from composer.store.paths import PRIVATE_FILE, make_private_dirs

__all__ = ["ASK_ABOVE_DEFAULT", "WindowSettings"]

# A send to more recipients than this asks once, with the count (Send → Ask before sending…).
ASK_ABOVE_DEFAULT = 50


class WindowSettings:
    def __init__(self, folder: Path) -> None:
        self.path = folder / "window.ini"
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def _get(self, key: str, default: Any) -> Any:
        value = self._qs.value(key, default)
        return default if value is None else value

    def state(self, key: str) -> QByteArray | None:
        """A splitter's or the window's saved state, or None."""
        value = self._qs.value(f"layout/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_state(self, key: str, value: QByteArray) -> None:
        self._qs.setValue(f"layout/{key}", value)

    def number(self, key: str, default: int) -> int:
        try:
            return int(self._get(key, default))
        except (TypeError, ValueError):  # a hand-edited file: the default, not a crash
            return default

    def set_number(self, key: str, value: int) -> None:
        self._qs.setValue(key, int(value))

    def open_panels(self) -> set[str]:
        value = self._get("layout/open", "")
        items = value if isinstance(value, list) else str(value).split(",")
        return {str(v) for v in items if str(v)}

    def set_open_panels(self, names: set[str]) -> None:
        self._qs.setValue("layout/open", ",".join(sorted(names)))

    @property
    def ask_above(self) -> int:
        """Ask before a send to more than this many addresses."""
        return max(0, self.number("send/ask_above", ASK_ABOVE_DEFAULT))

    @ask_above.setter
    def ask_above(self, value: int) -> None:
        self.set_number("send/ask_above", max(0, value))

    def save(self) -> None:
        """Write the file now, the person's alone (0600), in a folder made 0700."""
        make_private_dirs(self.path.parent)
        self._qs.sync()
        # Not written (a read-only folder): QSettings keeps it in status(), the window goes on.
        with contextlib.suppress(OSError):
            os.chmod(self.path, PRIVATE_FILE)
