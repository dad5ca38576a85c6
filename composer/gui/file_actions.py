"""File → Open HTML / Markdown, Import .eml as a new draft, Export .eml (issue 15 item 5).

Every file is read or written on a worker (``run_task``), never on the UI thread, with the
bounded readers of app/body_files.py and app/eml_files.py. The ``*_path`` methods do the work
for a path already chosen (the menu asks with a file dialog first; a drop on the editor gives
the path; tests call them directly).

Open puts the file's text into the body editor as one edit, so Edit → Undo brings the old body
back. Export writes exactly the bytes ``composer send --eml`` writes for the same draft (the same
``message_for_export`` and ``write_eml``). Import replaces the draft as File → New does (asking
about unsaved changes first); its attachments are saved in a private folder under the app's data
folder and attached from there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QFileDialog, QMessageBox

from composer.gui.tasks import run_task

if TYPE_CHECKING:
    from composer.core.draft import BodyFormat
    from composer.gui.main_window import MainWindow

__all__ = ["FileActions"]

BODY_FILTER = "Markdown, HTML or text (*.md *.markdown *.html *.htm *.txt);;All files (*)"
EML_FILTER = "E-mail messages (*.eml);;All files (*)"


class FileActions(QObject):
    """What the File menu's file actions do; each ends with exactly one of its signals."""

    body_opened = Signal(str)  # the path
    exported = Signal(str)
    imported = Signal(str)
    failed = Signal(str)  # the one line shown to the person

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.notify_failure = self._warn  # a dialog; replaceable where nobody can click it
        self.failed.connect(lambda text: self.notify_failure(text))

    # --- open a body file ---------------------------------------------------------------------

    def open_body(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open HTML / Markdown", "", BODY_FILTER)
        if path:
            self.open_body_path(path)

    def open_body_path(self, path: str) -> None:
        from composer.app.body_files import read_body_file

        run_task(
            lambda: read_body_file(path),
            lambda value: self._body_read(path, value),
            lambda exc: self.failed.emit(f"Open: {exc}"),
            owner=self.window,
        )

    def _body_read(self, path: str, value: tuple[str, BodyFormat]) -> None:
        text, fmt = value
        w = self.window
        w.model.update(body_format=fmt)
        editor = w.body.body
        cursor = QTextCursor(editor.document())
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)  # one step on the editor's undo stack: Ctrl+Z brings it back
        editor.setFocus()
        w.statusBar().showMessage(f"Opened {Path(path).name} as the body ({fmt.value})", 8000)
        self.body_opened.emit(path)

    # --- export -------------------------------------------------------------------------------

    def export_eml(self) -> None:
        if self.window.model.errors:
            self.failed.emit("Export .eml: fix the errors first (they are listed below the body)")
            return
        path, _ = QFileDialog.getSaveFileName(self.window, "Export .eml", "message.eml", EML_FILTER)
        if path:
            self.export_eml_path(path)

    def export_eml_path(self, path: str) -> None:
        from composer.app.eml_files import message_for_export, write_eml

        draft = self.window.model.snapshot()

        def export() -> None:
            write_eml(path, message_for_export(draft))

        def failed(exc: BaseException) -> None:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            self.failed.emit(f"Export .eml: cannot write {path}: {reason}")

        def done(_: Any) -> None:
            self.window.statusBar().showMessage(f"Exported {path}", 8000)
            self.exported.emit(path)

        run_task(export, done, failed, owner=self.window)

    # --- import -------------------------------------------------------------------------------

    def import_eml(self) -> None:
        if not self.window.drafts.confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Import .eml as a new draft", "", EML_FILTER
        )
        if path:
            self.import_eml_path(path, asked=True)

    def import_eml_path(self, path: str, *, asked: bool = False) -> None:
        from composer.app.eml_files import read_eml, save_imported_files

        if not asked and not self.window.drafts.confirm_discard():
            return
        data_folder = self.window.context.paths.data

        def load() -> tuple[Any, list[str]]:
            got = read_eml(path)
            attachments, images = save_imported_files(data_folder, got.files, path)
            from dataclasses import replace

            draft = replace(got.draft, attachments=attachments, inline_images=images)
            return draft, got.notes

        run_task(
            load,
            lambda value: self._imported(path, *value),
            lambda exc: self.failed.emit(f"Import .eml: {exc}"),
            owner=self.window,
        )

    def _imported(self, path: str, draft: Any, notes: list[str]) -> None:
        drafts = self.window.drafts
        drafts.store.discard(drafts.draft_id)
        drafts.load(draft, None, dirty=True)  # a new draft: Save asks where
        text = f"Imported {Path(path).name} as a new draft"
        if draft.attachments:
            folder = Path(draft.attachments[0].path).parent
            text += f"; its {len(draft.attachments)} attachment(s) are in {folder}"
        if notes:
            text += " (" + "; ".join(notes) + ")"
        self.window.statusBar().showMessage(text, 15000)
        self.imported.emit(path)

    def _warn(self, text: str) -> None:
        QMessageBox.warning(self.window, "Composer", text)
