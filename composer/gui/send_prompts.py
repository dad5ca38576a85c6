"""The questions a send asks at its edges (issue 15 #9): what becomes of cancelled messages, and
whether to stop a send that is running when the window is closed. Each returns the person's
answer; the caller (gui/sending.py SendActions) acts on it. And, when a send could not start for
want of an API key, what to do about it in the window."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow


def ask_stop_and_quit(parent: QWidget, done: int, total: int) -> bool:
    """True: stop the send and close the window; False: keep sending (the default)."""
    box = QMessageBox(parent)
    box.setObjectName("quitWhileSendingBox")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("A send is running")
    box.setText(f"A send is running ({done} of {total} done)." if total else "A send is running.")
    box.setInformativeText(
        "Stop it and quit? The messages not yet sent stay queued in the outbox; a message "
        "already handed to the relay gets its answer first."
    )
    stop = box.addButton("Stop sending and quit", QMessageBox.ButtonRole.DestructiveRole)
    stop.setObjectName("stopAndQuit")
    keep = box.addButton("Keep sending", QMessageBox.ButtonRole.RejectRole)
    keep.setObjectName("keepSending")
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is stop


def ask_discard_cancelled(parent: QWidget, count: int) -> bool:
    """True: discard the cancelled messages; False: keep them queued (the default, and what
    closing the question means: nothing is lost)."""
    box = QMessageBox(parent)
    box.setObjectName("cancelledBox")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Send cancelled")
    box.setText(f"{count} message(s) were cancelled before they were sent.")
    box.setInformativeText(
        "Keep them queued in the outbox to send later (Outbox → Resume), or discard them?"
    )
    keep = box.addButton("Keep queued", QMessageBox.ButtonRole.AcceptRole)
    keep.setObjectName("keepQueued")
    drop = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    drop.setObjectName("discardCancelled")
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is drop


def key_missing(exc: BaseException) -> bool:
    """A send refused for want of the profile's API key (none stored, no keyring, a damaged
    keyring entry), which the person can fix in the window. A bad COMPOSER_API_KEY is not:
    its own message names the variable, which only the person's shell can change."""
    from composer.core.errors import CredentialsError
    from composer.transport.profiles.credentials import ENV_VAR

    return isinstance(exc, CredentialsError) and not os.environ.get(ENV_VAR, "").strip()


def ask_for_key(parent: QWidget, profile: str, exc: BaseException) -> bool:
    """Nothing was sent for want of a key: say what to do in the window first (the variable
    second, for scripts). True: the person chose "Enter the key…" (open the profile's key)."""
    from composer.core.errors import KeyringUnavailable
    from composer.transport.profiles.credentials import ENV_VAR

    box = QMessageBox(parent)
    box.setObjectName("keyNeededBox")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Not sent: no API key")
    why = (
        f"There is no keyring on this computer ({exc.reason})."
        if isinstance(exc, KeyringUnavailable)
        else "None is stored in the keyring for it."
    )
    box.setText(f"Nothing was sent: profile “{profile}” needs its API key. {why}")
    box.setInformativeText(
        "Enter the key… (kept until Composer quits, or in the keyring), then send again.\n"
        f"For scripts and the command line: set {ENV_VAR} instead."
    )
    enter = box.addButton("&Enter the key…", QMessageBox.ButtonRole.AcceptRole)
    enter.setObjectName("enterKey")
    enter.setToolTip(f"Opens profile “{profile}” with the cursor in its API key field")
    close = box.addButton(QMessageBox.StandardButton.Close)
    box.setDefaultButton(enter)
    box.setEscapeButton(close)
    box.exec()
    return box.clickedButton() is enter


def offer_key(window: MainWindow, profile: str | None, exc: BaseException) -> bool:
    """When ``exc`` is a missing key of ``profile``: say so, the send panel too, and open the
    profile's key field if the person asks. False (nothing done) for any other failure."""
    if not profile or not key_missing(exc):
        return False
    window.send_panel.finish(f"Not sent: profile {profile} has no API key here.")
    if ask_for_key(window, profile, exc):
        window.show_profiles(key=True, name=profile)
    return True
