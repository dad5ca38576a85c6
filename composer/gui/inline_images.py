"""Inline (cid) images in the window: Insert → Inline image…, dropping an image onto the body
editor, and the question a draft from elsewhere asks before it mails out files.

The file is read off the UI thread (its type and size from the first bytes, images.py); then
the image joins the draft's ``inline_images`` under a cid made from its name, and an ``<img>``
tag with alt text, width and height goes in at the cursor (or where it was dropped). Outlook
lays out an image with no width/height at its natural size, so both are written. The same
tag works in Markdown bodies (raw HTML passes through). Whether a file is an image is decided
by its bytes, never by its name.
"""

from __future__ import annotations

import html
import os
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMenuBar, QMessageBox, QWidget

from composer.core.attachfiles import outside_places
from composer.core.draft import BodyFormat, Draft, InlineImage
from composer.core.images import ImageInfo
from composer.gui.editor import CodeEditor
from composer.gui.model import DraftModel
from composer.gui.tasks import run_task

__all__ = ["InlineImages", "image_tag", "keep_outside_inline_images"]

_FILTER = "Images (*.png *.jpg *.jpeg *.gif *.webp);;All files (*)"


def image_tag(cid: str, path: str, info: ImageInfo) -> str:
    """The tag the window inserts: alt text from the file's name (to be edited), the natural
    size, and the styles that keep an image inside a phone's width."""
    alt = html.escape(Path(path).stem.replace("_", " ").replace("-", " ").strip(), quote=True)
    size = f' width="{info.width}" height="{info.height}"' if info.width and info.height else ""
    return (
        f'<img src="cid:{cid}" alt="{alt}"{size} '
        'style="display:block; max-width:100%; height:auto; border:0">'
    )


def keep_outside_inline_images(parent: QWidget | None, draft: Draft, path: str) -> Draft:
    """Like ``keep_outside_attachments``: a draft opened from ``path`` whose inline images lie
    outside its folder and the home folder asks; No opens it without them."""
    outside = outside_places([i.path for i in draft.inline_images], path)
    if not outside:
        return draft
    listed = "\n".join(draft.inline_images[i].path for i in outside[:10])
    answer = QMessageBox.question(
        parent,
        "Inline images outside the draft's folder",
        "This draft shows images from files that are neither in its own folder nor in your "
        "home folder (a hidden one such as ~/.ssh counts as outside):"
        f"\n\n{listed}\n\nSend these files as inline images? (No opens the draft without them.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    if answer == QMessageBox.StandardButton.Yes:
        return draft
    keep = [img for i, img in enumerate(draft.inline_images) if i not in set(outside)]
    return replace(draft, inline_images=keep)


class InlineImages(QObject):
    """Adds inline images to the draft and their tags to the body editor."""

    added = Signal(str)  # the cid, once its tag is in the body
    failed = Signal(str)  # one sentence: why a file was not added

    def __init__(self, model: DraftModel, editor: CodeEditor, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("inlineImages")
        self._model = model
        self._editor = editor
        self._window = window
        # A drop reaches the editor itself (its viewport takes no drops) or, where a style
        # makes the viewport take them, the viewport: watch both. The viewport from the
        # editor's first paint on: the first viewport() makes PySide6 look through (and
        # create) every QtWidgets class for the bare QWidget it returns, 13 ms before the
        # window's first paint (README, Performance); no drag arrives before that paint.
        self.viewport_watched = False
        editor.installEventFilter(self)

    def install(self, bar: QMenuBar) -> None:
        """The Insert menu's entries (the menu is shared with whoever else inserts things)."""
        menu = next(
            (a.menu() for a in bar.actions() if a.text().replace("&", "") == "Insert"), None
        )
        if menu is None:
            menu = bar.addMenu("&Insert")
        choose = QAction("Inline &image…", self._window)
        choose.setObjectName("insertInlineImage")
        choose.triggered.connect(self.choose)
        menu.addAction(choose)
        prune = QAction("Remove &unused inline images", self._window)
        prune.setObjectName("removeUnusedInlineImages")
        prune.triggered.connect(self.remove_unused)
        menu.addAction(prune)

    # --- person -> model --------------------------------------------------------------------

    def choose(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self._window, "Inline image", "", _FILTER)
        self.add_paths(paths)

    def add_paths(self, paths: list[str], position: int | None = None) -> None:
        from composer.core import related  # MIME parts: imported when first used, not at start

        """Read each file off the UI thread; add the images among them, at ``position`` (a
        character offset in the body) or at the cursor."""
        for path in map(os.path.abspath, paths):
            run_task(
                lambda p=path: related.read_image_info(p),  # type: ignore[misc]
                lambda info, p=path: self._ready(p, info, position),  # type: ignore[misc]
                lambda exc: self._fail(str(exc)),
                owner=self,
            )

    def remove_unused(self) -> None:
        from composer.core import related

        refs = set(related.cid_references(self._model.draft.body))
        keep = [i for i in self._model.draft.inline_images if i.cid in refs]
        self._model.update(inline_images=keep)

    def _ready(self, path: str, info: ImageInfo, position: int | None) -> None:
        from composer.core import related

        draft = self._model.draft
        if draft.body_format == BodyFormat.TEXT:
            self._fail("Inline images need an HTML or Markdown body: switch the format first.")
            return
        images = draft.inline_images
        same = next((i for i in images if os.path.abspath(i.path) == path), None)
        if same is None:
            same = InlineImage(path, related.cid_for(path, {i.cid for i in images}))
            self._model.update(inline_images=[*images, same])
        cursor = self._editor.textCursor()
        if position is not None:
            cursor.setPosition(min(position, len(self._editor.toPlainText())))
        cursor.insertText(image_tag(same.cid, path, info))  # an edit: the model hears it
        self._editor.setTextCursor(cursor)
        self.added.emit(same.cid)

    def _fail(self, message: str) -> None:
        self.failed.emit(message)
        box = QMessageBox(QMessageBox.Icon.Warning, "Inline image", message, parent=self._window)
        box.setObjectName("inlineImageError")
        box.open()  # not exec(): nothing waits on the person's click

    # --- drops onto the body editor ---------------------------------------------------------

    def _watch_viewport(self) -> None:
        if not self.viewport_watched:
            self.viewport_watched = True
            self._editor.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Paint and not self.viewport_watched:
            QTimer.singleShot(0, self._watch_viewport)
        drag = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)
        if kind in drag and isinstance(event, QDropEvent):
            paths = _local_files(event)
            if paths:
                event.acceptProposedAction()
                if kind == QEvent.Type.Drop:
                    point = event.position().toPoint()
                    if watched is self._editor:
                        point = self._editor.viewport().mapFrom(self._editor, point)
                    where = self._editor.cursorForPosition(point)
                    self.add_paths(paths, where.position())
                return True
        return super().eventFilter(watched, event)


def _local_files(event: QDropEvent) -> list[str]:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    urls = mime.urls()
    if not all(u.isLocalFile() for u in urls):
        return []  # text and links dropped in go to the editor as ever
    paths = [u.toLocalFile() for u in urls]
    # Only images become inline images: a dropped .html / .md file is opened as the body by
    # the editor itself. The bytes are checked later; the name only routes the drop.
    if not all(Path(p).suffix.lower() in _IMAGE_SUFFIXES for p in paths):
        return []
    return paths


_IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".jpe", ".gif", ".webp"})
