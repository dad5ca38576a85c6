"""Campaign, tags, metadata and the relay's options, with live counters and problems.

Redraws block signals (no echo loop) and rewrite lossy text (tags, metadata rows) only when
its parsed value differs from the model, so a trailing comma or a half-typed row survives.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from composer.core.draft import INLINE_ENGINES
from composer.core.msys import encode_json
from composer.core.problems import MAX_CAMPAIGN_BYTES, MAX_TAGS, METADATA_EVENT_BYTES, Problem
from composer.gui import attachments as kit
from composer.gui.model import DraftModel

TYPES = ("text", "number", "true-false", "JSON")
TRI_STATE = ("open_tracking", "click_tracking")  # None = the account's default
_TRI = dict(zip(Qt.CheckState, (False, None, True), strict=True))  # Unchecked, Partially, Checked
_TRI_WORD = {None: "account default", True: "on", False: "off"}
_CHECKBOXES = (  # option, objectName, label
    ("open_tracking", "openTracking", "Open tracking"),
    ("click_tracking", "clickTracking", "Click tracking"),
    ("transactional", "transactional", "Transactional"),
    ("sandbox", "sandbox", "Sandbox"),
    ("skip_suppression", "skipSuppression", "Skip suppression list"),
    ("inline_css", "inlineCss", "Relay inlines CSS"),
    ("inline_locally", "inlineLocally", "Inline CSS locally"),
)
IP_POOL_HELP = "Leave it empty for the account's default pool; sp_shared is the shared pool."
_KIND_OF = ((str, "text"), (bool, "true-false"), (int | float, "number"), (object, "JSON"))
_WRONG = {"number": "is not a number (like 3 or 2.5)", "true-false": "is not true or false"}


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, trimmed; empty pieces (a trailing comma while typing) dropped."""
    return [t.strip() for t in text.split(",") if t.strip()]


def kind_of(value: Any) -> str:
    """The Type column's word for a value (bool first: in Python it is also an int)."""
    return next(kind for types, kind in _KIND_OF if isinstance(value, types))


def parse_value(text: str, kind: str) -> Any:
    """A metadata value as typed, read as its type; ValueError says why it does not fit."""
    if kind == "text":
        return text
    try:  # the others are read as JSON, which the header carries; encode_json refuses NaN
        value = json.loads(text.strip().lower() if kind == "true-false" else text)
        encode_json(value)
    except ValueError as exc:
        raise ValueError(_WRONG.get(kind, f"is not JSON: {exc}")) from None
    if kind != "JSON" and kind_of(value) != kind:
        raise ValueError(_WRONG[kind])
    return value


def describe_value(value: Any) -> tuple[str, str]:
    """(text, type) for a value from the model: the inverse of ``parse_value``."""
    kind = kind_of(value)
    return (value if kind == "text" else json.dumps(value, ensure_ascii=False)), kind


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON. Python's == says True == 1 and 1 == 1.0; JSON does not."""
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return False


# Draft fields this pane shows besides options.*
_MINE = frozenset({"campaign_id", "tags", "inline_locally", "inline_engine"})

class MetadataEditor(QWidget):
    """Key / Value / Type rows that become the metadata object, and its byte counter.

    A value that does not parse as its type cannot be in the Draft: it stays out, is marked in
    its cell, and is reported by ``local_problems`` so the window can hold Send until fixed."""

    local_problems_changed = Signal(list)  # list[Problem]: rows that cannot be in the Draft

    def __init__(self, model: DraftModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model, self._writing = model, False
        self.local_problems: list[Problem] = []
        kit.named(self, "metadataEditor", "Metadata")
        self.table = kit.named(QTableWidget(0, 3), "metadataTable", "Metadata keys and values")
        self.table.setHorizontalHeaderLabels(["Key", "Value", "Type"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        # Room for four rows and the header: one row at a time hid what was typed.
        row = self.table.verticalHeader().defaultSectionSize()
        self.table.setMinimumHeight(row * 4 + self.table.horizontalHeader().sizeHint().height() + 4)
        self.add_button = kit.named(QPushButton("Add row"), "metadataAdd", "Add metadata row")
        self.remove_button = kit.named(QPushButton("Remove row"), "metadataRemove", "Remove row")
        self.counter = kit.named(QLabel(), "metadataCounter", "Metadata size in bytes")
        self.problems = kit.problem_label("metadataProblems", "Metadata problems")
        buttons = kit.box(self.add_button, self.remove_button, None, self.counter, row=True)
        kit.box(self.table, buttons, self.problems, holder=self)
        self.table.itemChanged.connect(self._edited)
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_rows)
        model.changed.connect(self._on_changed)
        model.problems_changed.connect(self._show_problems)
        self._fill(model.draft.metadata)

    def add_row(self) -> None:
        self._append("", "", "text")
        self.table.setCurrentCell(self.table.rowCount() - 1, 0)
        self.table.editItem(self.table.currentItem())

    def remove_rows(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()} or {self.table.currentRow()}
        for row in sorted(rows - {-1}, reverse=True):
            self.table.removeRow(row)
        self._edited()

    def _append(self, key: str, text: str, kind: str) -> None:
        row = self.table.rowCount()
        with QSignalBlocker(self.table):  # a new row is no edit until someone types in it
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(key))
            self.table.setItem(row, 1, QTableWidgetItem(text))
        combo = kit.named(QComboBox(), f"metadataType{row}", f"Type of metadata row {row + 1}")
        combo.addItems(TYPES)
        combo.setCurrentText(kind)
        combo.currentIndexChanged.connect(self._edited)
        self.table.setCellWidget(row, 2, combo)

    def _fill(self, metadata: Any) -> None:
        # A non-object (a hand-written draft) shows no rows; validation's problem says why.
        self.table.setRowCount(0)
        for key, value in metadata.items() if isinstance(metadata, dict) else ():
            self._append(str(key), *describe_value(value))
        self._mark({})
        self._show_counter()

    def read(self) -> tuple[dict[str, Any], dict[int, tuple[int, str]]]:
        """The rows that parse, as one object, and for each other row (column, reason)."""
        out: dict[str, Any] = {}
        errors: dict[int, tuple[int, str]] = {}
        first: dict[str, int] = {}
        for row in range(self.table.rowCount()):
            key, text = (self.table.item(row, column).text() for column in (0, 1))
            key, combo = key.strip(), self.table.cellWidget(row, 2)
            kind = combo.currentText() if isinstance(combo, QComboBox) else "text"
            if key in first or (not key and text):
                twice = f'key "{key}" is already in row {first.get(key, 0) + 1}'
                errors[row] = (0, twice if key else "needs a key")
            elif key:
                first[key] = row
                try:
                    out[key] = parse_value(text, kind)
                except ValueError as exc:
                    errors[row] = (1, f"value {exc}")
        return out, errors

    def _mark(self, errors: dict[int, tuple[int, str]]) -> None:
        role = Qt.ItemDataRole
        with QSignalBlocker(self.table):
            for row in range(self.table.rowCount()):
                column, reason = errors.get(row, (-1, ""))
                for col in (0, 1):
                    bad, item = col == column, self.table.item(row, col)
                    # None clears a role, so a fixed cell looks as usual again
                    icon = kit.problem_icon([Problem("metadata", reason)]) if bad else None
                    item.setData(role.DecorationRole, icon)
                    item.setData(role.ToolTipRole, reason if bad else None)
                    item.setData(role.ForegroundRole, kit.ERROR_COLOUR if bad else None)
        rows = sorted(errors.items())
        local = [Problem("metadata", f"Row {r + 1}: {why}") for r, (_, why) in rows]
        if local != self.local_problems:
            self.local_problems = local
            self._show_problems()
            self.local_problems_changed.emit(list(local))

    def _edited(self, *_: object) -> None:
        value, errors = self.read()
        self._mark(errors)
        current = self._model.draft.metadata
        if same_json(current, value):
            return
        self._writing = True  # our own change: do not refill the table from it
        if current == value:
            # DraftModel.update compares with ==, which takes true for 1 and would drop this
            # edit; stepping through None makes the change (and its signal) happen.
            self._model.update(metadata=None)
        self._model.update(metadata=value)
        self._writing = False

    def _on_changed(self, names: list[str]) -> None:
        if "metadata" in names:
            if not self._writing and not same_json(self.read()[0], self._model.draft.metadata):
                self._fill(self._model.draft.metadata)
            self._show_counter()

    def _show_counter(self) -> None:
        try:  # the measure validation uses: compact, ASCII-escaped JSON, as in the header
            size = len(encode_json(self._model.draft.metadata).encode("utf-8"))
        except (TypeError, ValueError):
            size = 0
        self.counter.setText(f"{size} / {METADATA_EVENT_BYTES} bytes")
        # Over the limit still sends; events just carry less: a warning, not an error.
        kit.tint(self.counter, kit.WARNING_COLOUR if size > METADATA_EVENT_BYTES else None)

    def _show_problems(self, *_: object) -> None:
        # The window puts local problems into the model's too (they hold Send): once each.
        local = self.local_problems
        problems = local + [p for p in self._model.problems_for("metadata") if p not in local]
        kit.show_problems(self.problems, "metadata", problems)


class OptionsPane(QWidget):
    def __init__(self, model: DraftModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model, named = model, kit.named
        named(self, "optionsPane", "Campaign, tags, metadata and sending options")
        self.campaign_field = named(QLineEdit(), "campaignField", "Campaign ID")
        self.campaign_counter = named(QLabel(), "campaignCounter", "Campaign ID size in bytes")
        self.tags_field = named(QLineEdit(), "tagsField", "Tags, separated by commas")
        self.tags_field.setPlaceholderText("newsletter, spring")
        self.tags_counter = named(QLabel(), "tagsCounter", "Number of tags")
        self.metadata = MetadataEditor(model)
        self.checks = {key: named(QCheckBox(text), obj, text) for key, obj, text in _CHECKBOXES}
        self.inline_engine = named(QComboBox(), "inlineEngine", "CSS inliner")
        self.inline_engine.addItems(list(INLINE_ENGINES))
        self.inline_engine.setToolTip(
            "Inlines CSS for 'Inline CSS locally' and previews the relay's inlining"
        )
        self.ip_pool_field = named(QLineEdit(), "ipPoolField", "IP pool")
        self.ip_pool_field.setCompleter(QCompleter(["sp_shared"], self.ip_pool_field))
        self.ip_pool_field.setPlaceholderText("account default — or sp_shared, the shared pool")
        self.ip_pool_field.setToolTip(IP_POOL_HELP)
        self.problem_labels = {
            "campaign_id": kit.problem_label("campaignProblems", "Campaign ID problems"),
            "tags": kit.problem_label("tagsProblems", "Tag problems"),
            "options.ip_pool": kit.problem_label("ipPoolProblems", "IP pool problems"),
        }
        labels, checks, box = self.problem_labels, self.checks, kit.box
        form = QFormLayout(self)
        campaign = (self.campaign_field, self.campaign_counter, labels["campaign_id"])
        form.addRow("Campaign ID", box(*campaign))
        form.addRow("Tags", box(self.tags_field, self.tags_counter, labels["tags"]))
        form.addRow("Metadata", self.metadata)
        form.addRow("Tracking", box(*(checks[k] for k in TRI_STATE), None, row=True))
        sending = (checks[k] for k in ("transactional", "sandbox", "skip_suppression"))
        form.addRow("Sending", box(*sending, None, row=True))
        form.addRow("IP pool", box(self.ip_pool_field, labels["options.ip_pool"]))
        css = (checks["inline_css"], checks["inline_locally"], self.inline_engine, None)
        form.addRow("CSS", box(*css, row=True))
        self.inline_engine.currentTextChanged.connect(lambda text: model.update(inline_engine=text))
        self.campaign_field.textEdited.connect(lambda text: model.update(campaign_id=text))
        self.tags_field.textEdited.connect(lambda text: model.update(tags=parse_tags(text)))
        # textChanged: a chosen completion arrives by setText, without textEdited.
        self.ip_pool_field.textChanged.connect(lambda text: model.update(ip_pool=text))
        for key, check in self.checks.items():
            if key in TRI_STATE:  # Qt cycles Partially → Checked → Unchecked → Partially
                check.setTristate(True)
                check.checkStateChanged.connect(lambda s, k=key: model.update(**{k: _TRI[s]}))
            elif key == "inline_locally":
                check.toggled.connect(lambda on: model.update(inline_locally=on))
            else:  # checked → True, unchecked → None: the key is left out, as by default
                check.toggled.connect(lambda on, k=key: model.update(**{k: True if on else None}))
        model.changed.connect(self._on_changed)
        model.problems_changed.connect(self._show_problems)
        self._on_changed(["campaign_id", "tags", "options.ip_pool"])
        self._show_problems()
        self.set_provider("local")  # until the window knows the chosen profile

    def set_provider(self, provider: str, transport: str = "smtp") -> None:
        """Tooltips: what each option does at the relay, and its default for this provider
        and road (the REST API tracks by default where SMTP does not)."""
        from composer.gui.option_help import apply_tooltips

        apply_tooltips(self, provider, transport)

    def _on_changed(self, names: list[str]) -> None:
        # Told about every keystroke in the body: touch no widget unless one of ours changed.
        if not any(n in _MINE or n.startswith("options.") for n in names):
            return
        draft, options = self._model.draft, self._model.draft.options
        if "campaign_id" in names and self.campaign_field.text() != draft.campaign_id:
            with QSignalBlocker(self.campaign_field):
                self.campaign_field.setText(draft.campaign_id)
        if "tags" in names and parse_tags(self.tags_field.text()) != draft.tags:
            with QSignalBlocker(self.tags_field):
                self.tags_field.setText(", ".join(draft.tags))
        if "options.ip_pool" in names and self.ip_pool_field.text() != options.ip_pool:
            with QSignalBlocker(self.ip_pool_field):
                self.ip_pool_field.setText(options.ip_pool)
        for key, check in self.checks.items():  # cheap enough to redraw on every change
            value = draft.inline_locally if key == "inline_locally" else getattr(options, key)
            with QSignalBlocker(check):
                if key in TRI_STATE:
                    check.setCheckState(next(s for s, v in _TRI.items() if v is value))
                    check.setText(f"{check.accessibleName()} ({_TRI_WORD[value]})")
                else:
                    check.setChecked(bool(value))
        if self.inline_engine.currentText() != draft.inline_engine:
            with QSignalBlocker(self.inline_engine):
                self.inline_engine.setCurrentText(draft.inline_engine)
        size = len(draft.campaign_id.encode("utf-8"))
        self.campaign_counter.setText(f"{size} / {MAX_CAMPAIGN_BYTES} bytes")
        kit.tint(self.campaign_counter, kit.ERROR_COLOUR if size > MAX_CAMPAIGN_BYTES else None)
        self.tags_counter.setText(f"{len(draft.tags)} / {MAX_TAGS}")
        kit.tint(self.tags_counter, kit.ERROR_COLOUR if len(draft.tags) > MAX_TAGS else None)

    def _show_problems(self, *_: object) -> None:
        for field, label in self.problem_labels.items():
            kit.show_problems(label, field, self._model.problems_for(field))
