"""The body editors: plain-text editing with Markdown or HTML highlighting.

QPlainTextEdit rather than QTextEdit: it keeps a large template responsive (no rich-text
layout), and the highlighter only restyles the blocks that changed.
"""

from __future__ import annotations

import ctypes
import re
import sys

from PySide6.QtCore import QMimeData, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget


def _lend_none_references() -> None:
    """Work around a PySide6 6.12 reference-count bug on Python < 3.12.

    QSyntaxHighlighter.setFormat() drops references to None that it never took; highlighting
    a large template a few times then aborts the interpreter ("none_dealloc: deallocating
    None"). Python 3.12+ makes None immortal, so the bug is harmless there; on 3.11 we lend
    None 2**40 references once, which is what immortality amounts to. (A list holding extra
    Nones would cost the cyclic GC a pass over it, a visible stall while typing.)"""
    if sys.version_info < (3, 12) and sys.implementation.name == "cpython":
        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40


_lend_none_references()


def _fmt(color: str, *, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    return f


_HTML_RULES = [
    (re.compile(r"</?[A-Za-z][\w:-]*|/?>"), _fmt("#1f5fbf", bold=True)),
    (re.compile(r"\s[\w:-]+(?==)"), _fmt("#8a3ffc")),
    (re.compile(r'"[^"\n]*"|\'[^\'\n]*\''), _fmt("#0a7a3d")),
    (re.compile(r"&[#\w]+;"), _fmt("#b35900")),
]
_MD_RULES = [
    (re.compile(r"^#{1,6}\s.*$"), _fmt("#1f5fbf", bold=True)),
    (re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__"), _fmt("#202020", bold=True)),
    (
        re.compile(r"(?<![*\w])\*[^*\n]+\*(?!\*)|(?<![_\w])_[^_\n]+_(?!_)"),
        _fmt("#202020", italic=True),
    ),
    (re.compile(r"`[^`\n]+`"), _fmt("#b35900")),
    (re.compile(r"!?\[[^\]\n]*\]\([^)\n]*\)"), _fmt("#0a7a3d")),
    (re.compile(r"^\s*([-*+]|\d+\.)\s"), _fmt("#8a3ffc", bold=True)),
    (re.compile(r"^>.*$"), _fmt("#666666", italic=True)),
    (re.compile(r"<[^>\n]+>"), _fmt("#1f5fbf")),
]
_COMMENT = _fmt("#888888", italic=True)
_FENCE = _fmt("#b35900")


class Highlighter(QSyntaxHighlighter):
    """Markdown or HTML colouring; ``mode`` switches with the body format."""

    def __init__(self, document: QTextDocument, mode: str = "markdown") -> None:
        super().__init__(document)
        self.mode = mode

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        if self.mode == "text" or len(text) > 20_000:
            # A single 5 MB line (a minified template) would stall typing: leave it plain.
            self.setCurrentBlockState(0)
            return
        if self.mode == "markdown":
            self._markdown(text)
        else:
            self._html(text)

    def _apply(self, rules: list[tuple[re.Pattern[str], QTextCharFormat]], text: str) -> None:
        for pattern, fmt in rules:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), fmt)

    def _markdown(self, text: str) -> None:
        in_fence = self.previousBlockState() == 1
        if text.lstrip().startswith("```"):
            self.setFormat(0, len(text), _FENCE)
            self.setCurrentBlockState(0 if in_fence else 1)
            return
        self.setCurrentBlockState(1 if in_fence else 0)
        if in_fence:
            self.setFormat(0, len(text), _FENCE)
            return
        self._apply(_MD_RULES, text)

    def _html(self, text: str) -> None:
        self._apply(_HTML_RULES, text)
        # <!-- comments --> may span lines: state 2 means "inside a comment"
        start = 0 if self.previousBlockState() == 2 else text.find("<!--")
        self.setCurrentBlockState(0)
        while start >= 0:
            end = text.find("-->", start)
            if end < 0:
                self.setFormat(start, len(text) - start, _COMMENT)
                self.setCurrentBlockState(2)
                break
            self.setFormat(start, end + 3 - start, _COMMENT)
            start = text.find("<!--", end + 3)


class CodeEditor(QPlainTextEdit):
    """A monospaced editor with highlighting. Tab moves focus, so the whole window works from
    the keyboard; indentation is typed with spaces."""

    def __init__(self, mode: str = "markdown", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabChangesFocus(True)
        self.highlighter = Highlighter(self.document(), mode)
        self._echo: str | None = None  # the text as last handed to or taken from the model

    # A Markdown / HTML / text file dropped here (when ``accepts_files``): the window opens it
    # as the body instead of pasting its URL as text.
    file_dropped = Signal(str)
    accepts_files = False

    def _dropped_file(self, mime: QMimeData) -> str | None:
        if not self.accepts_files or not mime.hasUrls():
            return None
        from composer.app.body_files import body_format_for

        paths = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
        if len(paths) == 1 and body_format_for(paths[0]) is not None:
            return paths[0]
        return None

    def dragEnterEvent(self, e: QDragEnterEvent) -> None:
        if self._dropped_file(e.mimeData()):
            e.acceptProposedAction()
        else:
            super().dragEnterEvent(e)

    def dragMoveEvent(self, e: QDragMoveEvent) -> None:
        if self._dropped_file(e.mimeData()):
            e.acceptProposedAction()
        else:
            super().dragMoveEvent(e)

    def dropEvent(self, e: QDropEvent) -> None:
        path = self._dropped_file(e.mimeData())
        if path is None:
            super().dropEvent(e)
            return
        e.acceptProposedAction()
        self.file_dropped.emit(path)

    def set_mode(self, mode: str) -> None:
        # Re-highlighting emits textChanged: unblocked, the model (which has just been given a
        # new draft) would take this editor's old text as the body before it is replaced.
        self.blockSignals(True)
        try:
            self.highlighter.set_mode(mode)
        finally:
            self.blockSignals(False)

    def edited_text(self) -> str:
        """The text, for the model; remembered so the model's echo of it costs nothing."""
        self._echo = self.toPlainText()
        return self._echo

    def set_text_quietly(self, text: str) -> None:
        """Replace the text without emitting an edit (model → widget), keeping the cursor."""
        # The model hands back the very string edited_text() gave it: an identity test spares
        # a copy and a compare of the whole text (2 × 0.3 ms at 73 KB) on every keystroke.
        if text is self._echo or text == self.toPlainText():
            self._echo = text
            return
        self._echo = text
        pos = self.textCursor().position()
        self.blockSignals(True)
        try:
            self.setPlainText(text)
            cursor = self.textCursor()
            cursor.setPosition(min(pos, len(text)))
            self.setTextCursor(cursor)
        finally:
            self.blockSignals(False)
