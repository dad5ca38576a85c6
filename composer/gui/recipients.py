"""Cc, Bcc and Archive lists: add, paste, import and remove, with problems marked in place.

Each ``RecipientPanel`` edits one list of the DraftModel and redraws on ``changed``; problems
come from the window's preview pipeline. The only thing computed here is the live count of
cc + bcc + archive. Address files are read on the UI thread, but only up to 5 MB (about
100 000 addresses, a hundred times what the relay takes), so a read stays in milliseconds.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QWidget,
)

from composer.core.addresses import AddressError, address_key, check_address
from composer.core.draft import Recipient, parse_recipient, read_address_lines, split_recipients
from composer.core.jsonin import FileTooLarge, InputError, read_regular_file
from composer.core.problems import MAX_LIST_RECIPIENTS, Problem
from composer.gui import attachments as kit
from composer.gui.model import DraftModel

ListField = Literal["cc", "bcc", "archive"]
LIST_FIELDS: tuple[ListField, ...] = ("cc", "bcc", "archive")
TITLES = {"cc": "Cc", "bcc": "Bcc", "archive": "Archive"}
MAX_IMPORT_BYTES = 5 * 1024 * 1024
_EMAIL_COLUMNS = ("email", "emailaddress", "mail", "address")
_NAME_COLUMNS = ("name", "fullname", "displayname")


class RecipientFileError(ValueError):
    """One sentence saying why an address file was not imported."""


def parse_recipient_text(text: str) -> list[Recipient]:
    """A CSV whose first row names an "email" column (and maybe "name"), else one per line."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    first = lines[start] if start < len(lines) else ""
    delimiter = max(",;\t", key=first.count)  # European spreadsheets write ";"
    header = ["".join(filter(str.isalnum, h.lower())) for h in first.split(delimiter)]
    email_col = next((header.index(c) for c in _EMAIL_COLUMNS if c in header), None)
    if email_col is None:
        return read_address_lines(text)
    name_col = next((header.index(c) for c in _NAME_COLUMNS if c in header), None)
    out = []
    for row in csv.reader(lines[start + 1 :], delimiter=delimiter):
        cell = row[email_col].strip() if email_col < len(row) else ""
        if cell:
            recipient = parse_recipient(cell)
            if name_col is not None and name_col < len(row) and row[name_col].strip():
                recipient.name = row[name_col].strip()
            out.append(recipient)
    return out


def read_recipient_file(path: str | Path) -> tuple[list[Recipient], str]:
    """Recipients from a CSV or text file, and a note about how it was read."""
    p = Path(path)
    try:
        # A regular file only, opened without blocking: a FIFO picked in the file dialog would
        # otherwise freeze the window on this (UI) thread; never more than the limit is read.
        data = read_regular_file(p, MAX_IMPORT_BYTES)
    except FileTooLarge:
        raise RecipientFileError(
            f"{p.name} is over 5 MB: address files can be at most 5 MB (the relay takes "
            f"{MAX_LIST_RECIPIENTS} cc, bcc and archive addresses in all)"
        ) from None
    except InputError as exc:
        raise RecipientFileError(f"Cannot read {p.name}: it {exc}") from None
    if data.startswith(b"PK\x03\x04") or b"\x00" in data[:4096]:  # .xlsx, .numbers, binaries
        raise RecipientFileError(f"{p.name} is not a text file; save a spreadsheet as CSV first")
    try:
        return parse_recipient_text(data.decode("utf-8-sig")), ""
    except UnicodeDecodeError:  # Excel's plain "CSV" on Windows
        text = data.decode("cp1252", errors="replace")
        return parse_recipient_text(text), " (read as Windows-1252: it is not UTF-8)"


class _RecipientTable(QAbstractTableModel):
    """What the view shows: address, name, and each row's problems (a model, not items, so
    an import of thousands of rows costs one reset, not thousands of items)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Recipient] = []
        self.marks: list[list[Problem]] = []

    def set_rows(self, rows: list[Recipient], marks: list[list[Problem]]) -> None:
        self.beginResetModel()
        self.rows, self.marks = list(rows), marks
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return ("Address", "Name")[section]
        return str(section + 1)  # problems say "Cc #46": the rows carry those numbers

    def data(self, index: QModelIndex, role: int = 0) -> Any:
        recipient, marks = self.rows[index.row()], self.marks[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return recipient.email if index.column() == 0 else recipient.name
        if not marks:
            return None
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleDescriptionRole):
            return "\n".join(p.message for p in marks)
        if role == Qt.ItemDataRole.ForegroundRole and any(p.is_error for p in marks):
            return kit.ERROR_COLOUR
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0:
            return kit.problem_icon(marks)
        return None


def _valid(r: Recipient) -> bool:
    try:
        check_address(r)
    except AddressError:
        return False
    return True


def _key(r: Recipient) -> str | None:
    """The mailbox as validation compares it; None for an invalid address."""
    try:
        return address_key(check_address(r).addr_spec)
    except AddressError:
        return None


class RecipientPanel(QWidget):
    """One of the cc / bcc / archive lists."""

    def __init__(self, model: DraftModel, field: ListField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if field not in LIST_FIELDS:
            raise ValueError(f"not a recipient list: {field!r}")
        self._model, self.field, title = model, field, TITLES[field]
        self._marks: dict[kit.Key, list[Problem]] = {}
        kit.named(self, f"{field}Panel", f"{title} recipients")

        def named(widget: kit.W, suffix: str, accessible: str) -> kit.W:
            return kit.named(widget, f"{field}{suffix}", accessible)

        self.table = _RecipientTable(self)
        self.view = named(QTableView(), "List", f"{title} list")
        self.view.setModel(self.table)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        numbers = self.view.verticalHeader()
        numbers.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        numbers.setDefaultSectionSize(numbers.fontMetrics().height() + 6)
        self.list_problems = kit.problem_label(f"{field}Problems", f"{title} list problems")
        self.add_field = named(QLineEdit(), "AddField", f"Add {title} recipients")
        self.add_field.setPlaceholderText("Name <address> — or paste several, separated by commas")
        self.add_button = named(QPushButton("Add"), "Add", f"Add to {title}")
        self.paste_button = named(QPushButton("Paste"), "Paste", f"Paste into {title}")
        self.import_button = named(QPushButton("Import…"), "Import", f"Import {title} file")
        self.remove_button = named(QPushButton("Remove"), "Remove", f"Remove from {title}")
        self.remove_invalid = named(
            QPushButton("Remove invalid"), "RemoveInvalid", f"Remove invalid {title} addresses"
        )
        self.remove_duplicates = named(
            QPushButton("Remove duplicates"),
            "RemoveDuplicates",
            f"Remove {title} addresses already listed",
        )
        self.remove_invalid.setToolTip(
            f"Removes the {title} addresses marked invalid (the relay would refuse the message)"
        )
        self.remove_duplicates.setToolTip(
            "Removes each address that is already in To, or earlier in Cc, Bcc or Archive "
            "(the copy the relay would refuse to send twice)"
        )
        self.count_label = named(QLabel(), "Count", "Cc, Bcc and Archive addresses, of the limit")
        self.status_label = named(QLabel(), "Status", f"{title} import and paste result")
        self.status_label.setWordWrap(True)
        buttons = (self.paste_button, self.import_button, None, self.count_label)
        removal = (self.remove_button, self.remove_invalid, self.remove_duplicates, None)
        kit.box(
            self.view,
            self.list_problems,
            kit.box(self.add_field, self.add_button, row=True),
            kit.box(*buttons, row=True),
            kit.box(*removal, row=True),
            self.status_label,
            holder=self,
        )
        self.view.setMinimumHeight(numbers.defaultSectionSize() * 4)
        delete, paste = self.remove_selected, self.paste
        kit.KeyActions(
            self.view,
            {
                Qt.Key.Key_Delete: delete,
                Qt.Key.Key_Backspace: delete,
                QKeySequence.StandardKey.Paste: paste,
            },
        )
        self.add_field.returnPressed.connect(self._add_typed)
        self.add_button.clicked.connect(self._add_typed)
        self.paste_button.clicked.connect(self.paste)
        self.import_button.clicked.connect(self._choose_file)
        self.remove_button.clicked.connect(self.remove_selected)
        self.remove_invalid.clicked.connect(self.drop_invalid)
        self.remove_duplicates.clicked.connect(self.drop_duplicates)
        model.changed.connect(self._on_changed)
        model.problems_changed.connect(self._on_problems)
        self._on_problems(model.problems)
        self._redraw_count()

    # --- person → model ---------------------------------------------------------------------

    def add_text(self, text: str) -> int:
        """Add every recipient in ``text`` (commas, semicolons, new lines); return how many."""
        return self._append(split_recipients(text), "")

    def paste(self) -> int:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self._say("The clipboard holds no text to paste.", error=True)
            return 0
        return self.add_text(text)

    def import_file(self, path: str | Path) -> int:
        try:
            recipients, note = read_recipient_file(path)
        except RecipientFileError as exc:
            self._say(str(exc), error=True)
            return 0
        return self._append(recipients, f" from {Path(path).name}{note}")

    def remove_selected(self) -> None:
        rows = {i.row() for i in self.view.selectionModel().selectedRows()}
        if rows:
            current = getattr(self._model.draft, self.field)
            self._model.update(**{self.field: [r for i, r in enumerate(current) if i not in rows]})

    def drop_invalid(self) -> int:
        """Remove every address of this list that is not a valid address; say how many."""
        current = getattr(self._model.draft, self.field)
        keep = [r for r in current if _valid(r)]
        return self._dropped(current, keep, "invalid")

    def drop_duplicates(self) -> int:
        """Remove each address already in To, in a list before this one, or earlier in this
        one (validation's order: the later copy is the one it marks)."""
        d = self._model.draft
        seen: set[str] = set()
        for field in ("to", *LIST_FIELDS[: LIST_FIELDS.index(self.field)]):
            seen.update(k for k in map(_key, getattr(d, field)) if k)
        current = getattr(d, self.field)
        keep = []
        for r in current:
            key = _key(r)
            if key is None or key not in seen:
                keep.append(r)
            if key is not None:
                seen.add(key)
        return self._dropped(current, keep, "duplicate")

    def _dropped(self, current: list[Recipient], keep: list[Recipient], what: str) -> int:
        gone = len(current) - len(keep)
        if gone:
            self._model.update(**{self.field: keep})
        plural = "es" * (gone != 1)
        self._say(f"Removed {gone} {what} address{plural}." if gone else f"No {what} addresses.")
        return gone

    def _append(self, recipients: list[Recipient], where: str) -> int:
        if not recipients:
            self._say(f"No addresses found{where}.", error=True)
            return 0
        current = getattr(self._model.draft, self.field)
        self._model.update(**{self.field: [*current, *recipients]})
        self._say(f"Added {len(recipients)} address{'es' * (len(recipients) != 1)}{where}.")
        return len(recipients)

    def _add_typed(self) -> None:
        if self.add_text(self.add_field.text()):
            self.add_field.clear()

    def _choose_file(self) -> None:
        title, kinds = (
            f"Import {TITLES[self.field]} addresses",
            "Address lists (*.csv *.txt);;All (*)",
        )
        path, _ = QFileDialog.getOpenFileName(self, title, "", kinds)
        if path:
            self.import_file(path)

    # --- model → screen ---------------------------------------------------------------------

    def _keys(self) -> list[kit.Key]:
        return kit.occurrences([(r.email, r.name) for r in getattr(self._model.draft, self.field)])

    def _on_changed(self, names: list[str]) -> None:
        if self.field in names:
            self._redraw_rows()
        if any(name in LIST_FIELDS for name in names):
            self._redraw_count()

    def _on_problems(self, problems: list[Problem]) -> None:
        self._marks, whole = kit.entry_marks(self.field, problems, self._keys())
        kit.show_problems(self.list_problems, self.field, whole)
        self._redraw_rows()

    def _redraw_rows(self) -> None:
        rows = getattr(self._model.draft, self.field)
        self.table.set_rows(rows, [self._marks.get(k, []) for k in self._keys()])

    def _redraw_count(self) -> None:
        total = sum(len(getattr(self._model.draft, f)) for f in LIST_FIELDS)
        self.count_label.setText(f"{total} / {MAX_LIST_RECIPIENTS} (cc + bcc + archive)")
        over = total > MAX_LIST_RECIPIENTS
        kit.tint(self.count_label, kit.ERROR_COLOUR if over else None)
        self.count_label.setAccessibleDescription("over the relay's limit" if over else "")

    def _say(self, message: str, *, error: bool = False) -> None:
        self.status_label.setText(message)
        kit.tint(self.status_label, kit.ERROR_COLOUR if error else None)


class RecipientsPane(QWidget):
    """The three lists as tabs whose titles show their counts, with an icon on a tab whose
    list has an error (a problem on a hidden tab would otherwise go unseen)."""

    def __init__(self, model: DraftModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        kit.named(self, "recipientsPane", "Cc, Bcc and Archive recipients")
        self.tabs = kit.named(QTabWidget(), "recipientsTabs", "Recipient lists")
        self.panels = {f: RecipientPanel(model, f) for f in LIST_FIELDS}
        for panel in self.panels.values():
            self.tabs.addTab(panel, "")
        kit.box(self.tabs, holder=self)
        # Bound methods, not lambdas: Qt drops them when this widget is destroyed.
        model.changed.connect(self._lists_changed)
        model.problems_changed.connect(self._retitle)
        self._retitle()

    def _lists_changed(self, names: list[str]) -> None:
        # Told about every keystroke in the body: retitling relays out the tab bar.
        if any(name in LIST_FIELDS for name in names):
            self._retitle()

    def _retitle(self, *_: object) -> None:
        for i, field in enumerate(LIST_FIELDS):
            count = len(getattr(self._model.draft, field))
            self.tabs.setTabText(i, f"{TITLES[field]} ({count})")
            errors = [p for p in self._model.problems_for(field) if p.is_error]
            self.tabs.setTabIcon(i, kit.problem_icon(errors))
            self.tabs.setTabToolTip(i, "Some entries here have problems" if errors else "")
