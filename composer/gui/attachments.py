"""Attachments: add by dialog or by dropping files, remove, sizes, and the encoded total.

Sizes come from ``os.stat`` on the UI thread (one stat per file, nothing read). Problems such
as a missing file come from validation (``attachments[i]``) and are drawn on their row.
This module also holds the small helpers the three editing panels share (it is the smallest).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QDropEvent, QIcon, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.core.attachfiles import encoded_size, outside_places
from composer.core.draft import Attachment, Draft
from composer.core.problems import Problem
from composer.gui.model import DraftModel

ERROR_COLOUR = QColor("#c62828")
WARNING_COLOUR = QColor("#b26a00")  # an amber dark enough to read on a light background
# Mail servers commonly refuse messages somewhere between 10 and 25 MB: warn at the low end.
LARGE_MESSAGE_BYTES = 10_000_000
_ITEM = re.compile(r"(\w+)\[(\d+)\]")
W = TypeVar("W", bound=QWidget)
Key = tuple[Hashable, int]


def named(widget: W, name: str, accessible: str) -> W:
    """Give a widget its objectName (tests, the window) and accessibleName (screen readers)."""
    widget.setObjectName(name)
    widget.setAccessibleName(accessible)
    return widget


def tint(label: QLabel, colour: QColor | None) -> None:
    """Colour a label through its palette (not a style sheet), so themes still apply."""
    palette = QPalette()  # empty: every role not set here is inherited
    if colour is not None:
        palette.setColor(QPalette.ColorRole.WindowText, colour)
    label.setPalette(palette)


def box(*parts: QWidget | None, row: bool = False, holder: QWidget | None = None) -> QWidget:
    """Widgets in a column, or a row (``None`` = stretch), with no margins of its own."""
    holder = holder or QWidget()
    layout = QHBoxLayout(holder) if row else QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        layout.addWidget(part) if part is not None else layout.addStretch(1)
    return holder


def problem_label(name: str, accessible: str) -> QLabel:
    label = named(QLabel(), name, accessible)
    label.setWordWrap(True)
    label.hide()
    return label


def show_problems(label: QLabel, field: str, problems: Sequence[Problem]) -> None:
    """Problems under their widget: red when one is an error, amber for warnings only."""
    label.setText("\n".join(p.message if p.field == field else str(p) for p in problems))
    label.setVisible(bool(problems))
    tint(label, ERROR_COLOUR if any(p.is_error for p in problems) else WARNING_COLOUR)


def problem_icon(problems: Sequence[Problem]) -> QIcon:
    if not problems:
        return QIcon()
    pixmap = QStyle.StandardPixmap
    worst = pixmap.SP_MessageBoxCritical
    if not any(p.is_error for p in problems):
        worst = pixmap.SP_MessageBoxWarning
    return QApplication.style().standardIcon(worst)


def occurrences(keys: Sequence[Hashable]) -> list[Key]:
    """(key, n) for the n-th time a key appears. Marks are stored by these, not by row number,
    so a mark stays on its entry when rows above it go before the pipeline runs again."""
    seen: Counter[Hashable] = Counter()
    out = []
    for key in keys:
        out.append((key, seen[key]))
        seen[key] += 1
    return out


def entry_marks(
    field: str, problems: Sequence[Problem], keys: list[Key]
) -> tuple[dict[Key, list[Problem]], list[Problem]]:
    """Problems of ``field[i]`` by the entry at i now, and the problems of the whole field.
    The pipeline drops stale results, so the indexes in fresh problems match the entries."""
    marks: dict[Key, list[Problem]] = {}
    whole: list[Problem] = []
    for p in problems:
        m = _ITEM.fullmatch(p.field)
        if p.field == field:
            whole.append(p)
        elif m and m.group(1) == field and int(m.group(2)) < len(keys):
            marks.setdefault(keys[int(m.group(2))], []).append(p)
    return marks, whole


class KeyActions(QObject):
    """Runs an action for a key pressed in a widget (Delete in a list removes its selection)."""

    def __init__(self, widget: QWidget, actions: dict[Any, Callable[[], object]]) -> None:
        super().__init__(widget)
        self._actions = actions
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            for key, action in self._actions.items():
                standard = isinstance(key, QKeySequence.StandardKey)
                if event.matches(key) if standard else event.key() == key:
                    action()
                    return True
        return super().eventFilter(watched, event)


def human_size(n: int) -> str:
    """Decimal units, as macOS and GNOME file managers show them: 2_400_000 → "2.4 MB"."""
    if n < 1000:
        return "1 byte" if n == 1 else f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1000
        if value < 999.95 or unit == "GB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def keep_outside_attachments(parent: QWidget | None, draft: Draft, path: str) -> Draft:
    """A draft opened from ``path`` that attaches files outside its folder and the home folder
    asks first (it may have come from someone else): Yes keeps them, No opens it without them.
    Mirrors ``composer send --allow-attachments-anywhere``."""
    outside = outside_places([a.path for a in draft.attachments], path)
    if not outside:
        return draft
    listed = "\n".join(draft.attachments[i].path for i in outside[:10])
    more = f"\n…and {len(outside) - 10} more" if len(outside) > 10 else ""
    answer = QMessageBox.question(
        parent,
        "Attachments outside the draft's folder",
        "This draft attaches files that are neither in its own folder nor in your home "
        "folder (a hidden one such as ~/.ssh counts as outside):"
        f"\n\n{listed}{more}\n\nAttach these files? (No opens the draft without them.)",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    if answer == QMessageBox.StandardButton.Yes:
        return draft
    drop = set(outside)
    keep = [a for i, a in enumerate(draft.attachments) if i not in drop]
    return replace(draft, attachments=keep)


def file_size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


class AttachmentsPanel(QWidget):
    def __init__(self, model: DraftModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._marks: dict[Key, list[Problem]] = {}
        self._whole: list[Problem] = []  # of the whole list: the message size limit
        named(self, "attachmentsPanel", "Attachments")
        self.setAcceptDrops(True)  # the list takes no drops, so they reach the panel

        self.table = named(QTableWidget(0, 2), "attachmentsList", "Attached files")
        self.table.setHorizontalHeaderLabels(["File", "Size"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.add_button = named(QPushButton("Add…"), "attachmentsAdd", "Add attachments")
        self.remove_button = named(QPushButton("Remove"), "attachmentsRemove", "Remove selected")
        self.total_label = named(QLabel(), "attachmentsTotal", "Total attachment size")
        self.status_label = named(QLabel(), "attachmentsStatus", "Attachment messages")
        self.status_label.setWordWrap(True)
        buttons = box(self.add_button, self.remove_button, None, self.total_label, row=True)
        box(self.table, buttons, self.status_label, holder=self)
        delete = self.remove_selected
        KeyActions(self.table, {Qt.Key.Key_Delete: delete, Qt.Key.Key_Backspace: delete})
        self.add_button.clicked.connect(self._choose_files)
        self.remove_button.clicked.connect(self.remove_selected)
        model.changed.connect(self._on_changed)
        model.problems_changed.connect(self._on_problems)
        self._on_problems(model.problems)

    # --- person → model ---------------------------------------------------------------------

    def add_files(self, paths: Sequence[str]) -> int:
        """Attach files; folders and files already attached are skipped, and said so."""
        current = self._model.draft.attachments
        have = {os.path.abspath(a.path) for a in current}
        added: list[Attachment] = []
        skipped: list[str] = []
        for path in map(os.path.abspath, paths):
            if os.path.isdir(path):
                skipped.append(f"{os.path.basename(path)} is a folder")
            elif path in have:
                skipped.append(f"{os.path.basename(path)} is already attached")
            else:
                have.add(path)
                added.append(Attachment(path=path))
        if added:
            self._model.update(attachments=[*current, *added])
        self.status_label.setText("; ".join(skipped) + ("." if skipped else ""))
        tint(self.status_label, WARNING_COLOUR if skipped else None)
        return len(added)

    def remove_selected(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        if rows:
            keep = [a for i, a in enumerate(self._model.draft.attachments) if i not in rows]
            self._model.update(attachments=keep)

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Attach files")
        if paths:
            self.add_files(paths)

    @staticmethod
    def _local_paths(event: QDropEvent) -> list[str]:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        return [u.toLocalFile() for u in urls if u.isLocalFile()]

    def dragEnterEvent(self, event: QDropEvent) -> None:  # QDragEnterEvent is a QDropEvent
        if self._local_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()  # web links and text are not files: leave them to others

    def dragMoveEvent(self, event: QDropEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._local_paths(event)
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    # --- model → screen ---------------------------------------------------------------------

    def _on_problems(self, problems: list[Problem]) -> None:
        keys = occurrences([a.path for a in self._model.draft.attachments])
        self._marks, self._whole = entry_marks("attachments", problems, keys)
        self._redraw()

    def _on_changed(self, names: list[str]) -> None:
        if "attachments" in names:
            self._redraw()

    def _redraw(self) -> None:
        attachments = self._model.draft.attachments
        keys = occurrences([a.path for a in attachments])
        total = encoded = 0
        self.table.setRowCount(len(attachments))
        for row, (attachment, key) in enumerate(zip(attachments, keys, strict=True)):
            marks = self._marks.get(key, [])
            size = file_size(attachment.path)
            total += size or 0
            encoded += encoded_size(size or 0)
            tip = "\n".join([attachment.path, *(p.message for p in marks)])
            name = QTableWidgetItem(problem_icon(marks), attachment.display_name)
            size_item = QTableWidgetItem("—" if size is None else human_size(size))
            size_item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for column, item in enumerate((name, size_item)):
                item.setToolTip(tip)
                item.setData(Qt.ItemDataRole.AccessibleDescriptionRole, tip)
                if any(p.is_error for p in marks):
                    item.setForeground(ERROR_COLOUR)
                self.table.setItem(row, column, item)
        files = f"{len(attachments)} file{'s' * (len(attachments) != 1)}"
        text = f"{files}, {human_size(total)} — about {human_size(encoded)} once encoded for email"
        large = encoded > LARGE_MESSAGE_BYTES
        if large:
            text += " (large: many mail servers refuse messages over 10–25 MB)"
        if self._whole:
            text = " ".join([text, *(p.message for p in self._whole)])
        self.total_label.setText(text if attachments else "No attachments")
        error = any(p.is_error for p in self._whole)
        tint(self.total_label, ERROR_COLOUR if error else WARNING_COLOUR if large else None)
