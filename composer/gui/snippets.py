"""Snippets in the window: the Insert menu, the Ctrl+K palette, "Save selection as snippet".

A snippet goes in at the body editor's cursor as one undoable edit, through the editor, so the
model and the preview follow as they do for typing. In a Markdown body an HTML block is set
apart by blank lines (core/snippets.py says why). The catalogue (built-in + the person's own)
is read on the task runner and kept; the menu and the palette show what was last read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from composer.core.draft import BodyFormat
from composer.core.snippets import Snippet, insertion_text
from composer.gui.tasks import run_task

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

__all__ = ["PALETTE_SHORTCUT", "SnippetActions", "SnippetPalette"]

PALETTE_SHORTCUT = "Ctrl+K"


def _matches(snippet: Snippet, words: list[str]) -> bool:
    hay = f"{snippet.key} {snippet.name} {snippet.description}".casefold()
    return all(w in hay for w in words)


class SnippetPalette(QDialog):
    """A small filterable list: type to narrow, Up/Down to move, Enter inserts, Esc closes."""

    chosen = Signal(object)  # the Snippet

    def __init__(self, snippets: list[Snippet], parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("snippetPalette")
        self.setAccessibleName("Insert a snippet")
        self._snippets = snippets
        self.filter = QLineEdit()
        self.filter.setObjectName("snippetFilter")
        self.filter.setAccessibleName("Filter snippets")
        self.filter.setPlaceholderText("Insert a snippet: type to filter, Enter to insert")
        self.list = QListWidget()
        self.list.setObjectName("snippetList")
        self.list.setAccessibleName("Snippets")
        self.hint = QLabel()
        self.hint.setObjectName("snippetHint")
        self.hint.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addWidget(self.filter)
        lay.addWidget(self.list, 1)
        lay.addWidget(self.hint)
        self.resize(440, 280)
        self.filter.textChanged.connect(self._refilter)
        self.filter.installEventFilter(self)  # Up/Down/Enter typed in the filter
        self.list.itemActivated.connect(lambda _i: self._choose())
        self.list.currentItemChanged.connect(self._show_hint)
        self._refilter("")

    def _refilter(self, text: str) -> None:
        words = text.casefold().split()
        self.list.clear()
        for s in self._snippets:
            if _matches(s, words):
                item = QListWidgetItem(s.name if s.builtin else f"{s.name} (yours)")
                item.setData(Qt.ItemDataRole.UserRole, s)
                item.setToolTip(s.description)
                self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            self.hint.setText("No snippet matches.")

    def _show_hint(self, item: QListWidgetItem | None, _old: Any = None) -> None:
        if item is not None:
            self.hint.setText(item.data(Qt.ItemDataRole.UserRole).description)

    def current(self) -> Snippet | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _choose(self) -> None:
        snippet = self.current()
        if snippet is not None:
            self.accept()
            self.chosen.emit(snippet)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.filter and isinstance(event, QKeyEvent):
            key = event.key() if event.type() == QEvent.Type.KeyPress else None
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._choose()
                return True
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                step = -1 if key == Qt.Key.Key_Up else 1
                row = max(0, min(self.list.count() - 1, self.list.currentRow() + step))
                self.list.setCurrentRow(row)
                return True
        return super().eventFilter(obj, event)


class _PaletteKey(QObject):
    """Ctrl+K typed in an editor opens the palette, whatever the platform's key bindings say:
    on X11 and macOS a text editor claims Ctrl+K for itself (delete to the end of the line),
    and a window shortcut then never fires. The editor's own events are caught first."""

    def __init__(self, sequence: QKeySequence, opened: Callable[[], None], parent: QObject):
        super().__init__(parent)
        self._sequence = sequence
        self._opened = opened

    def _is_ours(self, event: QKeyEvent) -> bool:
        combo = QKeySequence(event.keyCombination())
        return combo.matches(self._sequence) == QKeySequence.SequenceMatch.ExactMatch

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and self._is_ours(event):
            if event.type() == QEvent.Type.ShortcutOverride:
                event.accept()  # ours, as a key press: the window's shortcut does not fire too
                return True
            if event.type() == QEvent.Type.KeyPress:
                self._opened()
                return True
        return False


class SnippetActions(QObject):
    """The window's Insert menu and palette. ``snippets`` is the catalogue last read."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.editor: QPlainTextEdit = window.body.body
        self.snippets: list[Snippet] = []
        self.palette: SnippetPalette | None = None
        self.menu: QMenu | None = None
        self._own_menu: QMenu | None = None
        self._builtin_actions: list[QAction] = []
        self._key = _PaletteKey(QKeySequence(PALETTE_SHORTCUT), self.open_palette, self)
        for editor in (window.body.body, window.body.amp, window.body.plain):
            editor.installEventFilter(self._key)
        self.reload()

    # --- the catalogue ----------------------------------------------------------------------

    def reload(self) -> None:
        context = self.window.context

        def read() -> list[Snippet]:  # imports on the worker too: start-up stays light
            from composer.app.templates import all_snippets

            return [s for s in all_snippets(context) if isinstance(s, Snippet)]

        run_task(read, self._loaded, self._status, owner=self.window)

    def _loaded(self, snippets: list[Snippet]) -> None:
        self.snippets = snippets
        self._fill_own_menu()

    def _status(self, message: object) -> None:
        self.window.statusBar().showMessage(str(message), 10_000)

    # --- the menu ---------------------------------------------------------------------------

    def add_menu(self, bar: Any) -> QMenu:
        # The Insert menu is shared with whoever else inserts things (inline images).
        menu = next(
            (a.menu() for a in bar.actions() if a.text().replace("&", "") == "Insert"), None
        )
        if menu is None:
            menu = bar.addMenu("&Insert")
            menu.setObjectName("insertMenu")
        else:
            menu.addSeparator()
        palette = QAction("&Snippet…", self.window)
        palette.setObjectName("snippetPaletteAction")
        palette.setShortcut(QKeySequence(PALETTE_SHORTCUT))
        palette.triggered.connect(self.open_palette)
        menu.addAction(palette)
        menu.addSeparator()  # the built-in entries go here once read (_fill_own_menu)
        self._own_menu = menu.addMenu("&Your snippets")
        self._fill_own_menu()
        menu.addSeparator()
        save = menu.addAction("Save selection as snippet…")
        save.triggered.connect(self.save_selection)
        menu.aboutToShow.connect(self.reload)
        self.menu = menu
        self._fill_own_menu()
        return menu

    def _fill_own_menu(self) -> None:
        own, menu = self._own_menu, self.menu
        if own is None:
            return
        if menu is not None and not self._builtin_actions:
            for s in self.snippets:
                if s.builtin:
                    action = QAction(s.name, menu)
                    action.setToolTip(s.description)
                    action.triggered.connect(lambda _c=False, s=s: self.insert(s))
                    menu.insertAction(own.menuAction(), action)
                    self._builtin_actions.append(action)
        own.clear()
        mine = [s for s in self.snippets if not s.builtin]
        for s in mine:
            own.addAction(s.name).triggered.connect(lambda _c=False, s=s: self.insert(s))
        own.setEnabled(bool(mine))

    # --- inserting --------------------------------------------------------------------------

    def open_palette(self) -> None:
        if self.palette is not None:
            self.palette.close()
        palette = SnippetPalette(self.snippets, self.window)
        palette.chosen.connect(self.insert)
        palette.finished.connect(lambda _r: self.editor.setFocus())
        at = self.editor.viewport().mapToGlobal(self.editor.cursorRect().bottomLeft())
        palette.move(at.x(), at.y() + 4)  # under the cursor, where the snippet will go
        self.palette = palette
        palette.show()
        palette.filter.setFocus()

    def insert(self, snippet: Snippet) -> None:
        fmt = self.window.model.draft.body_format
        if fmt is BodyFormat.TEXT:
            self._status("Snippets are HTML: switch the body to HTML or Markdown to insert one.")
            return
        body = self.window.body
        body.setCurrentIndex(0)  # the Body tab, where the cursor is
        cursor = self.editor.textCursor()
        text = self.editor.toPlainText()
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        piece = insertion_text(snippet, fmt, text[max(0, start - 2):start], text[end:end + 2])
        cursor.beginEditBlock()
        cursor.insertText(piece)  # replaces a selection, as typing would
        cursor.endEditBlock()
        self.editor.setTextCursor(cursor)
        self.editor.setFocus()

    def save_selection(self) -> None:
        selected = self.editor.textCursor().selectedText().replace("\u2029", "\n")
        if not selected.strip():
            QMessageBox.information(
                self.window, "Save as snippet", "Select part of the body first."
            )
            return
        name, ok = QInputDialog.getText(self.window, "Save as snippet", "Snippet name:")
        if ok and name.strip():
            self._save(name, selected, replace=False)

    def _save(self, name: str, html: str, *, replace: bool) -> None:
        from composer.app.templates import save_snippet
        from composer.store.templates import NameTaken

        context = self.window.context

        def failed(exc: BaseException) -> None:
            if isinstance(exc, NameTaken) and _confirm_replace(self.window, name):
                self._save(name, html, replace=True)
            elif not isinstance(exc, NameTaken):
                QMessageBox.warning(self.window, "Save as snippet", str(exc))

        def saved(snippet: Snippet) -> None:
            self._status(f"Saved the snippet {snippet.name!r}.")
            self.reload()

        run_task(lambda: save_snippet(context, name, "", html, replace=replace), saved, failed,
                 owner=self.window)  # fmt: skip


def _confirm_replace(parent: QWidget, name: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Replace?",
        f"There is already one named {name!r}. Replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes
