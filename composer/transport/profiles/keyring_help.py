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
    "Composer never writes an API key to a file. Without a keyring it can keep the key in "
    "memory only: it is used for sends until Composer quits, then forgotten (you type it "
    "again next time)."
)


def keyring_help(platform: str | None = None) -> str:
    """One paragraph: how to get a keyring Composer can use on ``platform`` (sys.platform)."""
    platform = platform or sys.platform
    if platform == "darwin":
        return (
            "On macOS the login Keychain is used: if it fails, open Keychain Access and unlock "
            "(or repair) the login keychain, then restart Composer."
        )
    if platform.startswith("win"):
        return (
            "On Windows the Credential Locker (Credential Manager) is used: sign in with a "
            "normal user account (not a service account), then restart Composer."
        )
    return (
        "On Linux Composer uses the Secret Service: install GNOME Keyring "
        "(sudo apt install gnome-keyring) or KDE's KWallet, or turn on KeePassXC's Secret "
        "Service integration (Tools → Settings → Secret Service Integration), and log in to a "
        "desktop session so it is unlocked; a headless session also needs a D-Bus session bus "
        "(dbus-run-session). Then restart Composer."
    )
