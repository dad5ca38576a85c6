"""How to get a system keyring on this computer: the words the window shows when there is none.

Composer never keeps an API key in a file, so without a keyring the only choices are a key kept
in memory until the app quits, ``COMPOSER_API_KEY``, or installing a keyring. This says how, for
the system it runs on (keyring's own backends: Secret Service / KWallet, macOS Keychain,
Windows Credential Locker).
"""

from __future__ import annotations

import sys

__all__ = ["WHY_MEMORY_ONLY", "keyring_help"]

WHY_MEMORY_ONLY = (
    "Composer never writes an API key to a file; without a keyring it can keep this one in "
    "memory until it quits (you type it again next time)."
)


def keyring_help(platform: str | None = None) -> str:
    """One paragraph: how to get a keyring Composer can use on ``platform`` (sys.platform)."""
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
    return (
        "on Linux, install GNOME Keyring (sudo apt install gnome-keyring) or KWallet, or turn on "
        "KeePassXC's Secret Service integration, unlocked in your desktop session "
        "(a headless session needs dbus-run-session); then restart Composer."
    )
