"""The template gallery (File → New from template…; the actions are template_actions.py).

It lists the built-in starters and the person's own (name, subject, description; a
damaged file is listed, greyed, with its reason) beside a rendered preview of the one selected,
in the same hardened web view as the main preview (no network, no scripts). Reading the
catalogue and rendering run on the task runner; the UI thread only shows results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont, QPainter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from composer.core.templates import Template
from composer.gui.dialogs.common import fit_to_screen
from composer.gui.tasks import cancel_tasks, run_task

if TYPE_CHECKING:
    from composer.app.context import Context
    from composer.gui.preview.view import PreviewView

__all__ = ["TemplateGallery"]

_ROLE = Qt.ItemDataRole.UserRole


def _render_html(template: Template) -> str:
    """The HTML a recipient would see (on the task runner): the same render as the send."""
    from composer.core.render import render

    rendered = render(template.draft)
    if rendered.html is not None:
        return rendered.html
    import html

    return f"<pre>{html.escape(rendered.text)}</pre>"


class _ItemLook(QStyledItemDelegate):
    """Each entry as two lines: the name in bold (with "yours" or "damaged" after it) and the
    subject below it in the palette's muted colour. The item's text stays the plain version
    for screen readers and tests."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:
        line = option.fontMetrics.height()
        return QSize(option.rect.width(), 2 * line + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Any) -> None:
        value = index.data(_ROLE)
        plain = QStyleOptionViewItem(option)
        self.initStyleOption(plain, index)
        plain.text = ""
        style = plain.widget.style() if plain.widget is not None else None
        if style is not None:  # the selection and focus background, no text
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, plain.widget)
        if isinstance(value, Template):
            title, second = value.name, value.subject
            tag = "" if value.builtin else "yours"
        else:
            title, second, tag = value.key, value.message, "damaged"
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        text_color = pal.highlightedText() if selected else pal.text()
        muted = text_color if selected else pal.placeholderText()
        rect = option.rect.adjusted(8, 6, -8, -6)
        line = option.fontMetrics.height()
        painter.save()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_color.color())
        metrics = painter.fontMetrics()
        shown = metrics.elidedText(title, Qt.TextElideMode.ElideRight, rect.width() - 60)
        painter.drawText(rect.x(), rect.y() + metrics.ascent(), shown)
        if tag:
            painter.setFont(option.font)
            painter.setPen(muted.color())
            painter.drawText(rect.x() + metrics.horizontalAdvance(shown) + 8,
                             rect.y() + metrics.ascent(), tag)  # fmt: skip
        painter.setFont(option.font)
        painter.setPen(muted.color())
        elided = option.fontMetrics.elidedText(second, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect.x(), rect.y() + line + 2 + option.fontMetrics.ascent(), elided)
        painter.restore()


class TemplateGallery(QDialog):
    """Pick a template. ``chosen`` carries the Template when the person presses Use."""

    chosen = Signal(object)

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("templateGallery")
        self.setWindowTitle("New from template")
        self.context = context
        self.templates: list[Any] = []
        self.list = QListWidget()
        self.list.setObjectName("templateList")
        self.list.setAccessibleName("Templates")
        self.list.setItemDelegate(_ItemLook(self.list))
        self.list.setUniformItemSizes(True)
        self.title = QLabel()
        self.title.setObjectName("templateTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.details = QLabel()
        self.details.setObjectName("templateDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.view: PreviewView | None = None
        self.preview_note = QLabel("Loading the templates…")
        self.preview_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_note.setWordWrap(True)
        right = QWidget()
        self._right = QVBoxLayout(right)
        self._right.setContentsMargins(8, 0, 0, 0)
        self._right.addWidget(self.title)
        self._right.addWidget(self.details)
        self._right.addWidget(self.preview_note, 1)
        self.filter = QLineEdit()
        self.filter.setObjectName("templateFilter")
        self.filter.setAccessibleName("Filter templates")
        self.filter.setPlaceholderText("Filter: name, subject, description, tag")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._refilter)
        self.filter.returnPressed.connect(self._use)
        self.filter.installEventFilter(self)  # Up / Down move the selection while typing
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 0, 0)
        left_lay.addWidget(self.filter)
        left_lay.addWidget(self.list, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([300, 700])
        self.buttons = QDialogButtonBox()
        self.use = self.buttons.addButton("Use template", QDialogButtonBox.ButtonRole.AcceptRole)
        self.use.setObjectName("useTemplate")
        self.delete = QPushButton("Delete…")
        self.delete.setObjectName("deleteTemplate")
        self.buttons.addButton(self.delete, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._use)
        self.buttons.rejected.connect(self.reject)
        self.delete.clicked.connect(self._delete)
        lay = QVBoxLayout(self)
        lay.addWidget(split, 1)
        lay.addWidget(self.buttons)
        self.list.currentItemChanged.connect(lambda item, _old: self._selected(item))
        self.list.itemActivated.connect(lambda _item: self._use())
        self.use.setEnabled(False)
        self.delete.setEnabled(False)
        fit_to_screen(self, 1000, 620)
        self._make_view()
        self.reload()

    def _make_view(self) -> None:
        from composer.gui.preview.view import PreviewView, preview_available

        ok, why = preview_available()
        if not ok:
            self.preview_note.setText(f"No rendered preview here: {why}")
            return
        self.view = PreviewView(self)
        self.view.setObjectName("templatePreview")
        self.view.setAccessibleName("Template preview")
        self._right.replaceWidget(self.preview_note, self.view)
        self.preview_note.hide()

    # --- the list ---------------------------------------------------------------------------

    def reload(self) -> None:
        from composer.app.templates import all_templates

        context = self.context
        run_task(lambda: all_templates(context), self._listed, self._unreadable, owner=self)

    def _unreadable(self, exc: BaseException) -> None:
        self.preview_note.setText(f"The templates cannot be read: {exc}")

    def _listed(self, found: list[Any]) -> None:
        self.templates = found
        self.list.clear()
        for t in found:
            if isinstance(t, Template):
                where = "" if t.builtin else "  · yours"
                item = QListWidgetItem(f"{t.name}{where}\n{t.subject}")
                item.setToolTip(t.description)
            else:  # a damaged file: listed, not usable
                item = QListWidgetItem(f"{t.key}  · damaged\n{t.message}")
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            item.setData(_ROLE, t)
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._refilter(self.filter.text())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.filter and event.type() == QEvent.Type.KeyPress:
            key = getattr(event, "key", lambda: None)()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                rows = [i for i in range(self.list.count())
                        if not self.list.item(i).isHidden()
                        and self.list.item(i).flags() & Qt.ItemFlag.ItemIsEnabled]  # fmt: skip
                if rows:
                    now = self.list.currentRow()
                    later = [r for r in rows if r > now] if key == Qt.Key.Key_Down else [
                        r for r in rows if r < now][::-1]  # fmt: skip
                    self.list.setCurrentRow(later[0] if later else now)
                return True
        return super().eventFilter(obj, event)

    def _refilter(self, text: str) -> None:
        """Hide what does not match every word; keep a visible entry selected."""
        words = text.casefold().split()
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            t = item.data(_ROLE)
            hay = item.text()
            if isinstance(t, Template):
                hay = " ".join([t.key, t.name, t.subject, t.description, *t.draft.tags])
            hidden = not all(w in hay.casefold() for w in words)
            item.setHidden(hidden)
            if not hidden and first is None and item.flags() & Qt.ItemFlag.ItemIsEnabled:
                first = i
        current = self.list.currentItem()
        if first is not None and (current is None or current.isHidden()):
            self.list.setCurrentRow(first)

    def current(self) -> Template | None:
        item = self.list.currentItem()
        value = None if item is None or item.isHidden() else item.data(_ROLE)
        return value if isinstance(value, Template) else None

    def _selected(self, item: QListWidgetItem | None) -> None:
        t = self.current()
        self.use.setEnabled(t is not None)
        self.delete.setEnabled(t is not None and not t.builtin)
        if t is None:
            return
        self.title.setText(t.name)
        d = t.draft
        facts = [f"Subject: {t.subject}", t.description]
        extras = []
        if d.campaign_id:
            extras.append(f"campaign {d.campaign_id}")
        if d.tags:
            extras.append("tags " + ", ".join(d.tags))
        if d.options.transactional:
            extras.append("transactional")
        if d.amp_html:
            extras.append("with an AMP part")
        if d.to or d.cc or d.bcc or d.archive:
            extras.append("includes recipients")
        if extras:
            facts.append(" · ".join(extras))
        self.details.setText("\n".join(f for f in facts if f))
        if self.view is not None:
            run_task(lambda: _render_html(t), lambda html: self._show(t, html),
                     self._unreadable, owner=self)  # fmt: skip

    def _show(self, template: Template, html: str) -> None:
        if self.view is not None and self.current() is template:  # not a stale render
            self.view.show_html(html, keep_scroll=False)

    # --- buttons ----------------------------------------------------------------------------

    def _use(self) -> None:
        t = self.current()
        if t is not None:
            self.accept()
            self.chosen.emit(t)

    def _delete(self) -> None:
        t = self.current()
        if t is None or t.builtin:
            return
        answer = QMessageBox.question(
            self, "Delete template", f"Delete your template {t.name!r}? This cannot be undone.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return
        context, key = self.context, t.key
        run_task(lambda: context.templates().delete(key), lambda _r: self.reload(),
                 self._unreadable, owner=self)  # fmt: skip

    def done(self, result: int) -> None:
        cancel_tasks(self)  # a render still running must not reach a closed dialog
        self._dispose_view()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        cancel_tasks(self)
        self._dispose_view()
        super().closeEvent(event)

    def _dispose_view(self) -> None:
        """Now, while Qt is alive: a page outliving its profile crashes QtWebEngine."""
        if self.view is not None and shiboken6.isValid(self.view):
            shiboken6.delete(self.view)
        self.view = None
