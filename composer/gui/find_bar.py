"""Find and Replace in the editors (Ctrl+F / Ctrl+H): a small bar under the window's content.

It works in whichever editor had the keyboard last (the body, the AMP part, or the plain text
when you write your own), wraps around at the end, and says how many matches there are.
Replace and Replace all go through the editor's own cursor, so each is one step of Edit → Undo
(Replace all is one step for all of them), and the model sees an ordinary edit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

__all__ = ["FindBar"]

_FLAG = QTextDocument.FindFlag


class _Field(QLineEdit):
    """Enter: next match; Shift+Enter: previous; Esc: close the bar."""

    def __init__(self, bar: FindBar, name: str, placeholder: str) -> None:
        super().__init__()
        self.bar = bar
        self.setObjectName(name)
        self.setAccessibleName(placeholder)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        key, shift = e.key(), bool(e.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self is self.bar.replace_field and not shift:
                self.bar.replace_one()
            else:
                self.bar.find(forward=not shift)
        elif key == Qt.Key.Key_Escape:
            self.bar.close_bar()
        else:
            super().keyPressEvent(e)


class FindBar(QWidget):
    def __init__(self, editors: list[QPlainTextEdit], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        self.editors = editors
        self.target: QPlainTextEdit = editors[0]
        self.find_field = _Field(self, "findField", "Find")
        self.replace_field = _Field(self, "replaceField", "Replace with")
        self.case = QCheckBox("Match &case")
        self.case.setObjectName("findMatchCase")
        self.status = QLabel()
        self.status.setObjectName("findStatus")
        self.previous_button = self._button("Previous", "findPrevious", lambda: self.find(False))
        self.next_button = self._button("Next", "findNext", lambda: self.find(True))
        self.replace_button = self._button("Replace", "replaceOne", self.replace_one)
        self.replace_all_button = self._button("Replace all", "replaceAll", self.replace_all)
        close = QToolButton()
        close.setObjectName("findClose")
        close.setText("✕")
        close.setToolTip("Close (Esc)")
        close.setAccessibleName("Close find bar")
        close.clicked.connect(self.close_bar)

        # One row: a tool bar keeps the height its widget had when added, so a second row for
        # Replace would be cut off.
        self.replace_row = QWidget()
        replace_layout = QHBoxLayout(self.replace_row)
        replace_layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.replace_field, self.replace_button, self.replace_all_button):
            replace_layout.addWidget(w)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        for w in (self.find_field, self.previous_button, self.next_button, self.case):
            row.addWidget(w)
        row.addWidget(self.replace_row)
        row.addWidget(self.status, 1)
        row.addWidget(close)
        self.find_field.textChanged.connect(lambda _t: self._count())
        self.case.toggled.connect(lambda _on: self._count())
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        # Shown and hidden with the tool bar that holds it: a widget added to a QToolBar while
        # hidden makes its action invisible and disabled for good.

    def _button(self, text: str, name: str, slot: object) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new in self.editors:
            self.target = new  # type: ignore[assignment]

    # --- opening and closing --------------------------------------------------------------------

    def open_bar(self, *, replace: bool) -> None:
        """Show the bar (with the Replace row for Ctrl+H), the editor's selection as the text."""
        selected = self.target.textCursor().selectedText()
        if selected and "\u2029" not in selected:  # one line: a paragraph break is not a query
            self.find_field.setText(selected)
        self.replace_row.setVisible(replace)
        holder = self.parentWidget()
        (holder if holder is not None else self).show()
        self._count()
        self._focus_field()
        # A tool bar shows its widgets when its layout runs (the next event-loop turn): focus
        # the field again then.
        QTimer.singleShot(0, self, self._focus_field)

    def _focus_field(self) -> None:
        if self.isVisible():
            self.find_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
            self.find_field.selectAll()

    def close_bar(self) -> None:
        holder = self.parentWidget()
        (holder if holder is not None else self).hide()
        self.target.setFocus()

    # --- finding --------------------------------------------------------------------------------

    def _flags(self, forward: bool) -> QTextDocument.FindFlag:
        flags = _FLAG(0)
        if not forward:
            flags |= _FLAG.FindBackward
        if self.case.isChecked():
            flags |= _FLAG.FindCaseSensitively
        return flags

    def _count(self) -> int:
        needle = self.find_field.text()
        if not needle:
            self.status.clear()
            return 0
        hay = self.target.toPlainText()
        if not self.case.isChecked():
            needle, hay = needle.casefold(), hay.casefold()
        n = hay.count(needle)
        self.status.setText(f"{n} match{'es' if n != 1 else ''}" if n else "Not found")
        return n

    def find(self, forward: bool = True) -> bool:
        """Select the next (previous) match, wrapping around; False when there is none."""
        needle = self.find_field.text()
        if not needle:
            return False
        editor, flags = self.target, self._flags(forward)
        if editor.find(needle, flags):
            self._count()
            return True
        cursor = editor.textCursor()  # wrap: from the other end
        cursor.movePosition(
            QTextCursor.MoveOperation.Start if forward else QTextCursor.MoveOperation.End
        )
        editor.setTextCursor(cursor)
        found = editor.find(needle, flags)
        if self._count() and found:
            self.status.setText(self.status.text() + " (wrapped)")
        return found

    def _selection_matches(self) -> bool:
        selected, needle = self.target.textCursor().selectedText(), self.find_field.text()
        if self.case.isChecked():
            return selected == needle
        return selected.casefold() == needle.casefold()

    def _writable(self) -> bool:
        if self.target.isReadOnly():
            self.status.setText("This text is generated: choose to write your own to edit it")
            return False
        return True

    def replace_one(self) -> None:
        """Replace the selected match, then select the next one."""
        if not self.find_field.text() or not self._writable():
            return
        if not self._selection_matches() and not self.find(True):
            return
        self.target.textCursor().insertText(self.replace_field.text())
        self.find(True)

    def replace_all(self) -> int:
        """Replace every match as one undo step; returns how many."""
        needle = self.find_field.text()
        if not needle or not self._writable():
            return 0
        document, flags = self.target.document(), self._flags(True)
        edit = QTextCursor(document)
        edit.beginEditBlock()
        n = 0
        found = document.find(needle, 0, flags)
        while not found.isNull():
            found.insertText(self.replace_field.text())
            n += 1
            found = document.find(needle, found, flags)
        edit.endEditBlock()
        self._count()
        self.status.setText(f"Replaced {n}")
        return n
