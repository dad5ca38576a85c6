"""A delivered copy from the sandbox, shown in the same hardened preview as the draft.

One viewer follows the sandbox table's selection (issue 15 item 4: each arrow key used to open
another window): ``show_path`` replaces what it shows, and a read that finishes after a newer
selection is dropped. The viewer never takes the focus, so the arrow keys stay in the table.
"""

from __future__ import annotations

import email
from collections.abc import Callable
from email import policy
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from composer.gui.dialogs.common import fit_to_screen
from composer.gui.tasks import TaskRunner

__all__ = ["CopyViewer", "follow_copies", "read_copy"]

# A copy the local relay delivered is at most the relay's message cap; a file someone dropped
# into the Maildir may be anything: read no more than this.
READ_LIMIT = 32 * 1024 * 1024

Copy = tuple[str, str, dict[str, tuple[str, bytes]]]



def read_copy(path: Path) -> Copy:
    """(the header block, the HTML to show, its inline images by cid) of one delivered
    message file."""
    with open(path, "rb") as f:
        data = f.read(READ_LIMIT + 1)
    if len(data) > READ_LIMIT:
        raise ValueError(f"is over {READ_LIMIT // (1024 * 1024)} MB; open it in a mail reader")
    msg = email.message_from_bytes(data, policy=policy.default)
    headers = "\n".join(f"{k}: {v}" for k, v in msg.items())
    images: dict[str, tuple[str, bytes]] = {}
    for sub in msg.walk():
        cid = str(sub.get("Content-ID", "")).strip()
        if cid.startswith("<") and cid.endswith(">") and sub.get_content_maintype() == "image":
            payload = sub.get_payload(decode=True)
            if isinstance(payload, bytes):
                images[cid[1:-1]] = (sub.get_content_type(), payload)
    part = msg.get_body(preferencelist=("html", "plain"))
    if part is None:
        return headers, "<p>(no text part)</p>", images
    content = part.get_content()
    if part.get_content_type() == "text/plain":
        import html

        content = f"<pre style='white-space:pre-wrap'>{html.escape(content)}</pre>"
    return headers, content, images


class CopyViewer(QDialog):
    def __init__(self, path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from composer.gui.preview.view import PreviewView, preview_available

        self.setObjectName("copyViewer")
        # Deleted on close: a web view left to interpreter exit can crash QtWebEngine.
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # Following the table's selection must not pull the keyboard away from the table.
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.tasks = TaskRunner(self)
        self.path: Path | None = None
        self.headers = QPlainTextEdit()
        self.headers.setReadOnly(True)
        self.headers.setObjectName("copyHeaders")
        self.headers.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setObjectName("copySplit")
        self.split.setChildrenCollapsible(False)  # neither pane can be dragged to 0 px
        self.split.addWidget(self.headers)
        self.view: PreviewView | None = None
        self.message: QWidget
        if preview_available()[0]:
            self.view = PreviewView(self)
            self.message = self.view
        else:
            self.message = QLabel(preview_available()[1])
            self.message.setWordWrap(True)
        self.message.setMinimumWidth(240)
        self.headers.setMinimumWidth(160)
        self.split.addWidget(self.message)
        # The message is what one opens a copy for: it gets most of the width.
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 3)
        QVBoxLayout(self).addWidget(self.split)
        fit_to_screen(self, 1100, 700)
        self.split.setSizes([330, 770])
        if path is not None:
            self.show_path(path)

    def show_path(self, path: Path) -> None:
        """Show the copy at ``path`` (replacing the one shown), read off the UI thread."""
        self.path = path
        self.setWindowTitle(f"Delivered copy — {path.name}")
        self.headers.setPlainText("Reading…")
        self.tasks.run(
            lambda: read_copy(path),
            lambda value: self._show(path, value),
            lambda exc: self._failed(path, exc),
        )

    def _show(self, path: Path, value: Copy) -> None:
        if path != self.path:
            return  # another copy was selected meanwhile
        headers, html, images = value
        self.headers.setPlainText(headers)
        if self.view is not None:
            self.view.show_html(html, keep_scroll=False, images=images)

    def _failed(self, path: Path, exc: BaseException) -> None:
        if path == self.path:
            self.headers.setPlainText(f"Cannot read {path}: {exc}")


def follow_copies(parent: QWidget) -> Callable[[Path], None]:
    """A callback for the sandbox's ``open_copy``: one viewer, made on the first selection,
    then following the selection; closed, the next selection makes a new one."""
    viewer: list[CopyViewer] = []

    def forget(_obj: object = None) -> None:
        viewer.clear()

    def show(path: Path) -> None:
        if not viewer:
            made = CopyViewer(None, parent)
            made.destroyed.connect(forget)
            viewer.append(made)
        current = viewer[0]
        current.show_path(path)
        if not current.isVisible():
            current.show()

    return show
