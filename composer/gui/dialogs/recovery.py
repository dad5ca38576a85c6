"""Start-up after a crash: "Composer closed unexpectedly. Recover these drafts?"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from composer.gui.dialogs.common import ERROR_STYLE
from composer.store.drafts import RecoveredDraft, RecoveryProblem

__all__ = ["RecoveryDialog"]


class RecoveryDialog(QDialog):
    """ "Composer closed unexpectedly. Recover these drafts?" — Recover or Discard, per draft.

    Touches no file: the window opens ``chosen()`` and removes ``discarded()`` with
    ``DraftStore.discard`` (in a task). "Decide later" (reject) keeps every autosave for the
    next start."""

    def __init__(
        self,
        parent: QWidget | None,
        recovered: Sequence[RecoveredDraft],
        problems: Sequence[RecoveryProblem] = (),
    ) -> None:
        super().__init__(parent)
        self.setObjectName("recoveryDialog")
        self.setWindowTitle("Recover drafts")
        self.recovered = list(recovered)
        self._recover: dict[str, QRadioButton] = {}

        intro = QLabel("<b>Composer closed unexpectedly. Recover these drafts?</b>")
        grid_host = QWidget()
        grid = QGridLayout(grid_host)
        for row, item in enumerate(self.recovered):
            when = item.saved_at.astimezone().strftime("%Y-%m-%d %H:%M")
            where = f"saved as {item.source_path}" if item.source_path else "never saved"
            extra = " · from the autosave before the last one" if item.from_previous else ""
            text = f"<b>{_escape(item.title)}</b><br>autosaved {when} · {_escape(where)}{extra}"
            label = QLabel(text)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)
            recover = QRadioButton("Recover")
            recover.setObjectName(f"recover_{item.draft_id}")
            discard = QRadioButton("Discard")
            discard.setObjectName(f"discard_{item.draft_id}")
            recover.setChecked(True)
            group = QButtonGroup(self)  # one choice per draft
            group.addButton(recover)
            group.addButton(discard)
            self._recover[item.draft_id] = recover
            grid.addWidget(label, row, 0)
            grid.addWidget(recover, row, 1)
            grid.addWidget(discard, row, 2)
        grid.setColumnStretch(0, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(grid_host)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll)
        if problems:
            lines = "\n".join(f"• {p}" for p in problems)
            note = QLabel(f"These autosaves cannot be read and were left on disk:\n{lines}")
            note.setObjectName("recoveryProblems")
            note.setWordWrap(True)
            note.setStyleSheet(ERROR_STYLE)
            layout.addWidget(note)
        buttons = QDialogButtonBox()
        ok = buttons.addButton("Continue", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setObjectName("continueButton")
        later = buttons.addButton("Decide later", QDialogButtonBox.ButtonRole.RejectRole)
        later.setObjectName("laterButton")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, 320)

    def set_choice(self, draft_id: str, recover: bool) -> None:
        button = self._recover[draft_id]
        if recover:
            button.setChecked(True)
        else:
            self.findChild(QRadioButton, f"discard_{draft_id}").setChecked(True)

    def chosen(self) -> list[RecoveredDraft]:
        """The drafts to open again, newest first."""
        return [r for r in self.recovered if self._recover[r.draft_id].isChecked()]

    def discarded(self) -> list[RecoveredDraft]:
        return [r for r in self.recovered if not self._recover[r.draft_id].isChecked()]

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        recovered: Sequence[RecoveredDraft],
        problems: Sequence[RecoveryProblem] = (),
    ) -> tuple[list[RecoveredDraft], list[RecoveredDraft]]:
        """Show it modally: (to recover, to discard); both empty for "Decide later"."""
        dialog = cls(parent, recovered, problems)
        try:
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return [], []
            return dialog.chosen(), dialog.discarded()
        finally:
            dialog.deleteLater()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
