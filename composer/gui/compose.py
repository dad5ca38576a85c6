"""The compose side of the window: header fields and the body tabs (body, AMP, plain text).

Each widget writes to the DraftModel on edit and redraws from it on ``changed`` with its
signals blocked, so model → widget updates never echo back as edits.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from composer.core.draft import BodyFormat, Recipient, parse_recipient, split_recipients
from composer.core.problems import Problem
from composer.gui.editor import CodeEditor
from composer.gui.model import DraftModel
from composer.gui.sections import ProblemLine, show_on_line

_FORMATS = [
    ("Markdown", BodyFormat.MARKDOWN),
    ("HTML", BodyFormat.HTML),
    ("Plain text", BodyFormat.TEXT),
]


def problem_label(name: str = "") -> ProblemLine:
    """A field's problem line: one line of reserved height, so the form never jumps."""
    return ProblemLine(name, "Problems" if name else "")


def show_problems(label: ProblemLine, problems: list[Problem]) -> None:
    show_on_line(label, problems)  # "To: add at least one recipient"


def _field(name: str, accessible: str, placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    return edit


def _recipients_text(recipients: list[Recipient]) -> str:
    return ", ".join(str(r) for r in recipients)


class HeaderFields(QWidget):
    """Profile, From, To, Subject."""

    profile_chosen = Signal(str)

    def __init__(self, model: DraftModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.profile = QComboBox()
        self.profile.setObjectName("profileField")
        self.profile.setAccessibleName("Relay profile")
        self.profile.setToolTip(
            "The relay this message goes through ('local': the sandbox on this computer, "
            "nothing leaves it). Send → Profiles… adds one"
        )
        self.profile.addItem("local")
        self.profile.currentTextChanged.connect(self.profile_chosen)
        self.key_status = QLabel("local sandbox relay on this computer: no account needed")
        self.key_status.setObjectName("keyStatus")
        # A long status (host, port, key state) must not widen the window past the screen: it
        # is cut at the label's edge, and its tooltip holds it whole.
        self.key_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.from_field = _field("fromField", "From", "Ann Lee <ann@example.com>")
        self.to_field = _field("toField", "To", "bob@example.com, Cy <cy@example.com>")
        self.subject = _field("subjectField", "Subject", "Subject")
        self.problems = {
            name: problem_label(f"{name}Problems") for name in ("from", "to", "subject")
        }
        # "required" waits until the person has left the field empty, or tried to send: a
        # new window does not open covered in red (it may still show a typed value's problem).
        self.touched: set[str] = set()
        self._keys: dict[QObject, str] = {}

        profile_row = QHBoxLayout()
        profile_row.addWidget(self.profile)
        profile_row.addWidget(self.key_status, 1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(2)  # each field has its problem line under it already
        form.addRow("Relay", profile_row)
        for label, edit, key in (
            ("From", self.from_field, "from"),
            ("To", self.to_field, "to"),
            ("Subject", self.subject, "subject"),
        ):
            box = QVBoxLayout()
            box.setSpacing(0)
            box.addWidget(edit)
            box.addWidget(self.problems[key])
            form.addRow(label, box)
            edit.installEventFilter(self)  # leaving it, typed in or not, shows "required"
            self._keys[edit] = key

        self.from_field.textEdited.connect(lambda t: model.update(from_addr=parse_recipient(t)))
        self.to_field.textEdited.connect(lambda t: model.update(to=split_recipients(t)))
        self.subject.textEdited.connect(lambda t: model.update(subject=t))
        model.changed.connect(self._redraw)
        model.problems_changed.connect(self._show_problems)
        self._redraw(["from_addr", "to", "subject"])

    def _redraw(self, fields: list[str]) -> None:
        d = self.model.draft
        pairs = [
            ("from_addr", self.from_field, str(d.from_addr) if d.from_addr.email else ""),
            ("to", self.to_field, _recipients_text(d.to)),
            ("subject", self.subject, d.subject),
        ]
        for name, edit, text in pairs:
            # Don't rewrite what the person is typing: "a@b.com, " would lose its comma.
            if name in fields and not edit.hasFocus() and edit.text() != text:
                edit.blockSignals(True)
                edit.setText(text)
                edit.blockSignals(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FocusOut and watched in self._keys:
            self.touch(self._keys[watched])
        return super().eventFilter(watched, event)

    def touch(self, *keys: str) -> None:
        self.touched.update(keys)
        self._show_problems()

    def reveal(self) -> None:
        self.touch(*self.problems)

    def _empty(self, key: str) -> bool:
        d = self.model.draft
        return not {"from": d.from_addr.email, "to": d.to, "subject": d.subject}[key]

    def _show_problems(self, *_: object) -> None:
        for key, label in self.problems.items():
            waiting = key not in self.touched and self._empty(key)
            show_problems(label, [] if waiting else self.model.problems_for(key))

    def set_profiles(self, names: list[str], current: str) -> None:
        self.profile.blockSignals(True)
        self.profile.clear()
        self.profile.addItems(names)
        self.profile.setCurrentText(current)
        self.profile.blockSignals(False)


class BodyTabs(QTabWidget):
    """Body (with its format switch), AMP, and the plain-text alternative."""

    def __init__(self, model: DraftModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.format = QComboBox()
        self.format.setObjectName("formatSwitch")
        self.format.setAccessibleName("Body format")
        self.format.setToolTip(
            "What the body is written in: Markdown or HTML (sent as HTML with a plain-text "
            "part), or plain text only"
        )
        for label, _fmt in _FORMATS:
            self.format.addItem(label)
        self.body = CodeEditor("markdown")
        self.body.setObjectName("bodyEditor")
        self.body.setAccessibleName("Body")
        self.body_problems = problem_label("bodyProblems")
        self.revealed = False  # "is empty" waits until the body was left or a send tried
        body_page = QWidget()
        top = QHBoxLayout()
        top.addWidget(QLabel("Format"))
        top.addWidget(self.format)
        top.addStretch(1)
        lay = QVBoxLayout(body_page)
        lay.addLayout(top)
        lay.addWidget(self.body, 1)
        lay.addWidget(self.body_problems)
        self.addTab(body_page, "Body")

        self.amp = CodeEditor("html")
        self.amp.setObjectName("ampEditor")
        self.amp.setAccessibleName("AMP HTML")
        self.amp.setPlaceholderText("Optional AMP for email: <!doctype html><html ⚡4email>…")
        self.addTab(self.amp, "AMP")

        self.own_text = QCheckBox("Write my own plain text (otherwise generated from the HTML)")
        self.own_text.setObjectName("ownPlainText")
        self.plain = CodeEditor("text")
        self.plain.setObjectName("plainTextEditor")
        self.plain.setAccessibleName("Plain text alternative")
        self.plain.setReadOnly(True)
        plain_page = QWidget()
        lay2 = QVBoxLayout(plain_page)
        lay2.addWidget(self.own_text)
        lay2.addWidget(self.plain, 1)
        self.addTab(plain_page, "Plain text")
        self._plain_page = plain_page
        self._generated: str | None = None
        self.currentChanged.connect(
            lambda _i: self._apply_generated() if self.currentWidget() is plain_page else None
        )

        self.format.currentIndexChanged.connect(lambda i: model.update(body_format=_FORMATS[i][1]))
        self.body.textChanged.connect(lambda: model.update(body=self.body.edited_text()))
        self.amp.textChanged.connect(lambda: model.update(amp_html=self.amp.edited_text() or None))
        self.own_text.toggled.connect(self._own_text_toggled)
        self.plain.textChanged.connect(self._plain_edited)
        model.changed.connect(self._redraw)
        model.problems_changed.connect(self._show_problems)
        self.body.installEventFilter(self)
        self._redraw(["body", "body_format", "amp_html", "plain_text"])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.body and event.type() == QEvent.Type.FocusOut:
            self.reveal()
        return super().eventFilter(watched, event)

    def reveal(self) -> None:
        self.revealed = True
        self._show_problems()

    def _show_problems(self, *_: object) -> None:
        m = self.model
        body = [] if not (self.revealed or m.draft.body) else m.problems_for("body")
        show_problems(self.body_problems, body + m.problems_for("amp_html"))

    def _own_text_toggled(self, on: bool) -> None:
        self.plain.setReadOnly(not on)
        self.model.update(plain_text=self.plain.toPlainText() if on else None)

    def _plain_edited(self) -> None:
        if self.own_text.isChecked():
            self.model.update(plain_text=self.plain.toPlainText())

    def show_generated_text(self, text: str) -> None:
        """The plain text generated from the HTML, shown when its tab is open: setting a
        73 KB text into a hidden editor on every preview was up to 20 ms of the UI thread."""
        self._generated = text
        if self.currentWidget() is self._plain_page:
            self._apply_generated()

    def _apply_generated(self) -> None:
        if self._generated is not None and not self.own_text.isChecked():
            self.plain.set_text_quietly(self._generated)
        self._generated = None

    def _redraw(self, fields: list[str]) -> None:
        d = self.model.draft
        if "body_format" in fields:
            index = [f for _l, f in _FORMATS].index(d.body_format)
            self.format.blockSignals(True)
            self.format.setCurrentIndex(index)
            self.format.blockSignals(False)
            # Re-highlighting emits textChanged with the editor's old text, which would write
            # it over the new draft's body (File → Open / Import of an HTML draft lost it).
            self.body.blockSignals(True)
            self.body.set_mode(d.body_format.value)
            self.body.blockSignals(False)
        if "body" in fields:
            self.body.set_text_quietly(d.body)
        if "amp_html" in fields:
            self.amp.set_text_quietly(d.amp_html or "")
        if "plain_text" in fields:
            own = d.plain_text is not None
            self.own_text.blockSignals(True)
            self.own_text.setChecked(own)
            self.own_text.blockSignals(False)
            self.plain.setReadOnly(not own)
            if own:
                self.plain.set_text_quietly(d.plain_text or "")
