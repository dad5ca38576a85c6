"""How to get a system keyring on this computer: the words the window shows when there is none.

Composer never keeps an API key in a file, so without a keyring the only choices are a key kept
in memory until the app quits, ``COMPOSER_API_KEY``, or installing a keyring. This says how, for
the system it runs on (keyring's own backends: Secret Service / KWallet, macOS Keychain,
Windows Credential Locker).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable

__all__ = ["WHY_MEMORY_ONLY", "keyring_help"]

WHY_MEMORY_ONLY = (
    "Composer never writes an API key to a file; without a keyring it can keep this one in "
    "memory until it quits (you type it again next time)."
)


# Secret Service providers on Linux, by the program that shows they are installed.
_INSTALLED = (
    ("gnome-keyring-daemon", "GNOME Keyring"),
    ("kwalletd6", "KWallet"),
    ("kwalletd5", "KWallet"),
    ("keepassxc", "KeePassXC (turn on its Secret Service integration)"),
)


def keyring_help(
    platform: str | None = None, which: Callable[[str], str | None] = shutil.which
) -> str:
    """One paragraph: how to get a keyring Composer can use on ``platform`` (sys.platform),
    naming a Secret Service provider already installed here when there is one."""
    platform = platform or sys.platform
    if platform == "darwin":
        return (
            "on macOS the login Keychain is used: if it fails, open Keychain Access and unlock "
            "(or repair) the login keychain, then restart Composer."
        )
    if platform.startswith("win"):
        return (
            "on Windows the Credential Locker (Credential Manager) is used: sign in with a "
            "normal user account (not a service account), then restart Composer."
        )
    found = next((name for program, name in _INSTALLED if which(program)), None)
    if found:
        return (
            f"{found} is installed here but Composer cannot reach it: log in to a desktop "
            "session that starts and unlocks it (a headless session needs dbus-run-session), "
            "then restart Composer."
        )
    return (
        "on Linux, install GNOME Keyring (sudo apt install gnome-keyring) or KWallet, or turn on "
        "KeePassXC's Secret Service integration, unlocked in your desktop session "
        "(a headless session needs dbus-run-session); then restart Composer."
    )
