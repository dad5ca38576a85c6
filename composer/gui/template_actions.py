"""Templates in the window: File → New from template… (the gallery, templates_dialog.py) and
Save as template…; saving runs on the task runner and asks before replacing one of yours."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from composer.core.templates import Template
from composer.gui.tasks import run_task
from composer.gui.templates_dialog import TemplateGallery

if TYPE_CHECKING:
    from composer.gui.main_window import MainWindow

__all__ = ["SaveTemplateDialog", "TemplateActions"]


class SaveTemplateDialog(QDialog):
    """Name, description, and whether the recipients go with it (off unless ticked)."""

    def __init__(self, parent: QWidget | None = None, subject: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("saveTemplateDialog")
        self.setWindowTitle("Save as template")
        self.name = QLineEdit(subject)
        self.name.setObjectName("templateName")
        self.name.setAccessibleName("Template name")
        self.description = QLineEdit()
        self.description.setObjectName("templateDescription")
        self.description.setAccessibleName("Template description")
        self.description.setPlaceholderText("What it is for (shown in the gallery)")
        self.include_recipients = QCheckBox("Include the recipients (To, Cc, Bcc, Archive)")
        self.include_recipients.setObjectName("includeRecipients")
        note = QLabel("Keeps the body, AMP, plain text, subject, From, options, campaign and "
                      "tags. Attachments are never kept.")  # fmt: skip
        note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow("Description", self.description)
        form.addRow("", self.include_recipients)
        form.addRow(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.name.textChanged.connect(lambda t: self.save_button.setEnabled(bool(t.strip())))
        self.save_button.setEnabled(bool(subject.strip()))


class TemplateActions(QObject):
    """The File menu's two template actions, for one window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.gallery: TemplateGallery | None = None
        window.installEventFilter(self)  # its Close: the gallery's web view goes first

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.window and event.type() == QEvent.Type.Close:
            gallery = self.gallery
            if gallery is not None and shiboken6.isValid(gallery):
                gallery.reject()  # disposes its web view while its profile is alive
            self.gallery = None
        return False

    def add_to_file_menu(self, menu: Any) -> None:
        menu.addSeparator()
        new = QAction("New from &template…", self.window)
        new.setObjectName("newFromTemplate")
        new.setShortcut("Ctrl+Shift+N")
        new.triggered.connect(self.new_from_template)
        menu.addAction(new)
        save = QAction("Save as te&mplate…", self.window)
        save.setObjectName("saveAsTemplate")
        save.triggered.connect(self.save_as_template)
        menu.addAction(save)

    def new_from_template(self) -> None:
        if not self.window.drafts.confirm_discard():
            return
        gallery = TemplateGallery(self.window.context, self.window)
        gallery.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        gallery.setWindowModality(Qt.WindowModality.WindowModal)
        gallery.chosen.connect(self.start)
        self.gallery = gallery
        gallery.show()
        gallery.filter.setFocus()  # type to narrow, arrows to choose, Enter to use

    def start(self, template: Template) -> None:
        """A new, untitled draft from the template (the template itself is never edited)."""
        from composer.app.templates import start_from

        drafts = self.window.drafts
        drafts.store.discard(drafts.draft_id)
        drafts.load(start_from(template), None)
        self.window.statusBar().showMessage(f"New draft from the template {template.name!r}.",
                                            8000)  # fmt: skip

    def save_as_template(self) -> None:
        dialog = SaveTemplateDialog(self.window, self.window.model.draft.subject)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self._save(dialog.name.text(), dialog.description.text(),
                   dialog.include_recipients.isChecked(), replace=False)  # fmt: skip

    def _save(self, name: str, description: str, recipients: bool, *, replace: bool) -> None:
        from composer.app.templates import save_template
        from composer.store.templates import NameTaken

        context, draft = self.window.context, self.window.model.snapshot()

        def save() -> Template:
            return save_template(context, name, description, draft,
                                 include_recipients=recipients, replace=replace)  # fmt: skip

        def saved(t: Template) -> None:
            self.window.statusBar().showMessage(f"Saved the template {t.name!r}.", 8000)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, NameTaken):
                answer = QMessageBox.question(
                    self.window, "Replace template?",
                    f"You have a template named {name!r}. Replace it?",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                    QMessageBox.StandardButton.Cancel,
                )  # fmt: skip
                if answer == QMessageBox.StandardButton.Yes:
                    self._save(name, description, recipients, replace=True)
                return
            QMessageBox.warning(self.window, "Save as template", str(exc))

        run_task(save, saved, failed, owner=self.window)
