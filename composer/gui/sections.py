"""The panels under the body editor (cc / bcc / archive, relay options, attachments), each
folded to one summary line that opens in place.

The body is the main thing on screen: a folded panel costs one line ("Cc 3 · Bcc 0 ·
Archive 1"), and its problems show on that line too, so an error in a folded panel is not
missed. An open panel scrolls inside its own area, so opening one never makes the window's
minimum size larger (which would make Qt grow the window by itself).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.core.attachfiles import encoded_size
from composer.core.draft import Draft
from composer.core.problems import Problem
from composer.core.relay_facts import RelayFacts
from composer.gui.attachments import ERROR_COLOUR, WARNING_COLOUR, file_size, human_size, tint

__all__ = [
    "ProblemLine",
    "Section",
    "attachments_summary",
    "options_summary",
    "problems_summary",
    "recipients_summary",
]


def recipients_summary(draft: Draft) -> str:
    return f"Cc {len(draft.cc)} · Bcc {len(draft.bcc)} · Archive {len(draft.archive)}"


def _tracking(draft: Draft, facts: RelayFacts | None) -> str:
    opens, clicks = draft.options.open_tracking, draft.options.click_tracking
    word = {None: "account default", True: "on", False: "off"}
    if facts is not None:  # what the default is for the chosen profile (core/relay_facts.py)
        word[None] += f" ({'on' if facts.tracks(None) else 'off'})"
    if opens is clicks:
        return f"tracking: {word[opens]}"
    return f"opens: {word[opens]}, clicks: {word[clicks]}"


def options_summary(draft: Draft, facts: RelayFacts | None = None) -> str:
    o = draft.options
    parts = [f"Campaign {draft.campaign_id}" if draft.campaign_id else "No campaign"]
    parts.append(f"{len(draft.tags)} tag{'s' * (len(draft.tags) != 1)}")
    if isinstance(draft.metadata, dict) and draft.metadata:
        parts.append(f"{len(draft.metadata)} metadata")
    parts.append(_tracking(draft, facts))
    flags = [
        name
        for name, on in (
            ("transactional", o.transactional),
            ("sandbox", o.sandbox),
            ("skip suppression", o.skip_suppression),
            ("relay inlines CSS", o.inline_css),
            ("inline CSS locally", draft.inline_locally),
        )
        if on
    ]
    if o.ip_pool:
        flags.append(f"pool {o.ip_pool}")
    return " · ".join(parts + flags)


def attachments_summary(draft: Draft, size_of: Callable[[str], int | None] = file_size) -> str:
    """ "2 attachments · 340 KB" (the files' sizes; one stat each, nothing read)."""
    n = len(draft.attachments)
    if not n:
        return "No attachments"
    sizes = [size_of(a.path) or 0 for a in draft.attachments]
    encoded = sum(encoded_size(s) for s in sizes)
    return (
        f"{n} attachment{'s' * (n != 1)} · {human_size(sum(sizes))}"
        f" (about {human_size(encoded)} encoded)"
    )


def problems_summary(problems: Sequence[Problem]) -> str:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    parts = []
    if errors:
        parts.append(f"{errors} error{'s' * (errors != 1)}")
    if warnings:
        parts.append(f"{warnings} warning{'s' * (warnings != 1)}")
    return " · ".join(parts)


class ProblemLine(QLabel):
    """A field's problems on one line of reserved height: the form does not jump as problems
    come and go. Too long for the width, it ends in "…"; the tooltip (and ``text()``) hold
    every word."""

    def __init__(self, name: str = "", accessible: str = "") -> None:
        super().__init__()
        if name:
            self.setObjectName(name)
        if accessible:
            self.setAccessibleName(accessible)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(self.fontMetrics().height() + 2)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)
        self.setAccessibleDescription(text)
        self.update()

    def line(self) -> str:
        return "  ·  ".join(part for part in self.text().splitlines() if part)

    def sizeHint(self) -> QSize:
        return QSize(min(self.fontMetrics().horizontalAdvance(self.line()), 300), self.height())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, self.height())

    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        shown = self.fontMetrics().elidedText(
            self.line(), Qt.TextElideMode.ElideRight, self.width()
        )
        painter.drawText(
            self.rect(), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, shown
        )
        painter.end()


def show_on_line(line: ProblemLine, problems: Sequence[Problem], field: str = "") -> None:
    """Problems on their line: red when one is an error, amber for warnings only; the line
    stays (empty) when there are none."""
    line.setText("\n".join(p.message if p.field == field else str(p) for p in problems))
    tint(line, ERROR_COLOUR if any(p.is_error for p in problems) else WARNING_COLOUR)


class Section(QWidget):
    """A title line (arrow, title, summary, problem count) over a panel shown when open."""

    toggled = Signal(bool)

    def __init__(
        self, key: str, title: str, content: QWidget, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.key, self.title, self.content = key, title, content
        self.setObjectName(f"{key}Section")
        self.button = QToolButton()
        self.button.setObjectName(f"{key}Toggle")
        self.button.setAccessibleName(title)
        self.button.setCheckable(True)
        self.button.setAutoRaise(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setArrowType(Qt.ArrowType.RightArrow)
        self.button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.button.setStyleSheet("QToolButton { text-align: left; }")
        self.problems = QLabel()
        self.problems.setObjectName(f"{key}SectionProblems")
        self.area = QScrollArea()
        self.area.setObjectName(f"{key}Scroll")
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QFrame.Shape.NoFrame)
        self.area.setWidget(content)
        self.area.hide()
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.button, 1)
        line.addWidget(self.problems)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(line)
        layout.addWidget(self.area, 1)
        self.button.toggled.connect(self._toggled)
        self.set_summary("")

    @property
    def is_open(self) -> bool:
        return self.button.isChecked()

    def set_open(self, open_: bool) -> None:
        self.button.setChecked(open_)

    def set_summary(self, summary: str) -> None:
        text = f"{self.title} — {summary}" if summary else self.title
        self.button.setText(text)
        verb = "Hide" if self.is_open else "Show"
        self.button.setToolTip(f"{verb} {self.title.lower()}: {summary}")
        self.button.setAccessibleDescription(summary)

    def set_problems(self, problems: Sequence[Problem]) -> None:
        self.problems.setText(problems_summary(problems))
        errors = any(p.is_error for p in problems)
        tint(self.problems, ERROR_COLOUR if errors else WARNING_COLOUR)
        self.problems.setToolTip("\n".join(str(p) for p in problems))

    def _toggled(self, open_: bool) -> None:
        self.button.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.area.setVisible(open_)
        # Stretch only while open: a folded section keeps to its one line.
        holder = self.parentWidget()
        if holder is not None and holder.layout() is not None:
            layout = holder.layout()
            if isinstance(layout, QVBoxLayout):
                layout.setStretchFactor(self, 1 if open_ else 0)
        self.toggled.emit(open_)
