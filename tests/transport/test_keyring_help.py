"""What the window says about getting a keyring, for the system it runs on (issue 15 item 6)."""

from __future__ import annotations

from composer.transport.profiles.keyring_help import keyring_help


def test_linux_without_a_provider_says_what_to_install() -> None:
    text = keyring_help("linux", which=lambda _program: None)
    assert "sudo apt install gnome-keyring" in text and "KeePassXC" in text


def test_linux_with_an_installed_provider_names_it() -> None:
    text = keyring_help("linux", which=lambda p: "/usr/bin/x" if p == "keepassxc" else None)
    assert text.startswith("KeePassXC") and "installed here" in text


def test_macos_and_windows_name_their_own_store() -> None:
    assert "Keychain" in keyring_help("darwin")
    assert "Credential" in keyring_help("win32")
