"""A delivered copy from the sandbox, shown in the same hardened preview as the draft."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from composer.gui.tasks import run_task

Copy = tuple[str, str, dict[str, tuple[str, bytes]]]


def read_copy(path: Path) -> Copy:
    """(the header block, the HTML to show, its inline images by cid) of one delivered
    message file."""
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
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
    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from composer.gui.preview.view import PreviewView, preview_available

        self.setObjectName("copyViewer")
        # Deleted on close: a web view left to interpreter exit can crash QtWebEngine.
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Delivered copy — {path.name}")
        self.headers = QPlainTextEdit()
        self.headers.setReadOnly(True)
        self.headers.setObjectName("copyHeaders")
        split = QSplitter()
        split.addWidget(self.headers)
        self.view: PreviewView | None = None
        if preview_available()[0]:
            self.view = PreviewView(self)
            split.addWidget(self.view)
        QVBoxLayout(self).addWidget(split)
        self.resize(1100, 700)
        run_task(
            lambda: read_copy(path),
            self._show,
            lambda exc: self.headers.setPlainText(f"Cannot read {path}: {exc}"),
            owner=self,
        )

    def _show(self, value: Copy) -> None:
        headers, html, images = value
        self.headers.setPlainText(headers)
        if self.view is not None:
            self.view.show_html(html, images=images)
