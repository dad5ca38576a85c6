"""The questions a send asks at its edges (issue 15 #9): what becomes of cancelled messages, and
whether to stop a send that is running when the window is closed. Each returns the person's
answer; the caller (gui/sending.py SendActions) acts on it."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


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
