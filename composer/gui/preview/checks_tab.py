"""The Checks tab beside the preview tabs: the pre-send checks' findings for the draft as it is.

The checks run on the preview's worker, on the render the preview just made (``checker``:
nothing renders twice, the UI thread never waits), and arrive with its result. The tab's label
counts the errors and warnings ("Checks (3)"); the list groups the findings by category, errors
first; clicking one puts the cursor of the editor it concerns on its line (or focuses the field
or option it names). "Check links online" asks each link's server whether it answers, on a
task of its own, only while it is ticked; answers are kept per URL for the session, so typing
does not ask again.

Send stays allowed with warnings; with an error-level finding, Send asks once: "Send anyway"
or "Cancel" (``confirm_send``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.core.checks import CATEGORIES, Finding, Severity, Where
from composer.gui.tasks import run_task

if TYPE_CHECKING:
    from composer.app.context import Context
    from composer.core.draft import Draft
    from composer.gui.main_window import MainWindow
    from composer.gui.preview.pipeline import PreviewResult

__all__ = ["ChecksTab", "confirm_send", "install", "preview_checker"]

log = logging.getLogger(__name__)

TITLES = {"relay": "Relay", "clients": "Email clients", "accessibility": "Accessibility",
          "links": "Links", "size": "Size and images", "amp": "AMP"}  # fmt: skip
_WORD = {Severity.ERROR: "Error", Severity.WARNING: "Warning", Severity.INFO: "Note"}
_COLOUR = {Severity.ERROR: "#b00020", Severity.WARNING: "#8a5a00", Severity.INFO: "#555555"}


def place(w: Where) -> str:
    if w.line is not None:
        return f"{w.part} line {w.line}" + (f", column {w.column}" if w.column else "")
    return f"{w.part}: {w.element}" if w.part in ("options", "headers") and w.element else w.part


# --- on the preview's worker ---------------------------------------------------------------------


def preview_checker(
    context: Context, profile_name: str | None
) -> Callable[[Draft, PreviewResult], PreviewResult]:
    """What the preview worker runs after each render (plain data in: made on the UI thread)."""

    def run(draft: Draft, result: PreviewResult) -> PreviewResult:
        if result.rendered is None:
            return result
        from composer.app.checks import preview_findings

        messages = [result.message] if result.message is not None else []
        try:
            found = preview_findings(context, profile_name, draft, result.rendered, messages)
        except Exception as exc:  # advice: never the preview's failure
            log.exception("the checks could not run")
            found = [Finding("check.failed", Severity.INFO, "relay",
                             f"The checks could not run: {exc}", Where("options"))]  # fmt: skip
        return replace(result, findings=tuple(found))

    return run


# --- the tab -------------------------------------------------------------------------------------


class ChecksTab(QWidget):
    go_to = Signal(object)  # the Where of a clicked finding

    def __init__(
        self, draft_source: Callable[[], Draft] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("checksTab")
        self._draft_source = draft_source  # the draft the current result is of (UI thread)
        self.findings: list[Finding] = []
        self.online_findings: list[Finding] = []
        self._tabs: QTabWidget | None = None
        self._shown: tuple[Finding, ...] | None = None
        self._online_cache: dict[str, list[Finding]] = {}
        self._online_key = ""
        self.online_busy = False
        self.cancel_online = threading.Event()  # set when the app quits: the check stops
        self.summary = QLabel("Waiting for the first preview…")
        self.summary.setObjectName("checksSummary")
        self.online = QCheckBox("Check links online")
        self.online.setObjectName("checkLinksOnline")
        self.online.setToolTip(
            "Ask each link's and image's server whether it answers (HEAD, then GET). Off by "
            "default: it tells those servers about this message. Never asks this computer or "
            "a private network."
        )
        self.online.toggled.connect(self._online_toggled)
        self.tree = QTreeWidget()
        self.tree.setObjectName("checksList")
        self.tree.setAccessibleName("Checks")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(1)
        self.tree.setUniformRowHeights(True)  # one line each: the whole finding is below
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.setIndentation(12)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        self.tree.currentItemChanged.connect(lambda item, _old: self._detail_of(item))
        self.detail = QLabel("Click a finding to go to its line; its whole text is shown here.")
        self.detail.setObjectName("checkDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(self.detail.fontMetrics().lineSpacing() * 4)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.online)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.detail)
        self._result: PreviewResult | None = None

    # --- what is shown ------------------------------------------------------------------------

    @property
    def all_findings(self) -> list[Finding]:
        return self.findings + self.online_findings

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.all_findings if f.severity is Severity.ERROR]

    @property
    def count(self) -> int:
        """What the tab's label counts: errors and warnings (notes are listed, not counted)."""
        return sum(f.severity is not Severity.INFO for f in self.all_findings)

    def show_result(self, result: PreviewResult) -> None:
        self._result = result
        self.findings = [f for f in result.findings if isinstance(f, Finding)]
        self._redraw()
        if self.online.isChecked():
            self._check_online()

    def _redraw(self) -> None:
        found = tuple(self.all_findings)
        if found == self._shown:  # most edits change no finding: keep the list as it is
            return
        self._shown = found
        self.tree.clear()
        order = {c: i for i, c in enumerate(CATEGORIES)}
        groups: dict[str, list[Finding]] = {}
        for f in found:
            groups.setdefault(f.category, []).append(f)
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for category in sorted(groups, key=lambda c: order.get(c, len(order))):
            items = sorted(groups[category], key=lambda f: f.severity.rank)
            head = QTreeWidgetItem([f"{TITLES.get(category, category)} ({len(items)})"])
            head.setFont(0, bold)
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(head)
            for f in items:
                child = QTreeWidgetItem([f"{_WORD[f.severity]} · {place(f.where)} · {f.message}"])
                child.setData(0, Qt.ItemDataRole.UserRole, f)
                child.setForeground(0, QBrush(QColor(_COLOUR[f.severity])))
                child.setToolTip(0, f"{f.id}\n{f.message}" + (
                    f"\nClients: {', '.join(f.clients)}" if f.clients else ""))  # fmt: skip
                head.addChild(child)
            head.setExpanded(True)
        n_err = len(self.errors)
        n_warn = sum(f.severity is Severity.WARNING for f in found)
        notes = len(found) - n_err - n_warn
        self.summary.setText(
            f"{n_err} error(s), {n_warn} warning(s), {notes} note(s)" if found
            else "No findings."
        )  # fmt: skip
        self._label()

    def attach_label(self, tabs: QTabWidget) -> None:
        """The tab whose label shows the count."""
        self._tabs = tabs
        self._label()

    def _label(self) -> None:
        if self._tabs is None:
            return
        index = self._tabs.indexOf(self)
        self._tabs.setTabText(index, f"Checks ({self.count})" if self.count else "Checks")
        self._tabs.setTabToolTip(index, f"Checks: {self.count} finding(s) in this message")
        colour = _COLOUR[Severity.ERROR] if self.errors else None
        self._tabs.tabBar().setTabTextColor(index, QColor(colour) if colour else QColor())

    def _detail_of(self, item: QTreeWidgetItem | None) -> None:
        finding = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        if not isinstance(finding, Finding):
            return
        where = place(finding.where)
        if finding.where.element and finding.where.line is not None:
            where += f" — {finding.where.element}"
        text = f"{_WORD[finding.severity]} [{finding.id}] at {where}\n{finding.message}"
        if finding.clients:
            text += f"\nClients: {', '.join(finding.clients)}"
        self.detail.setText(text)

    def _clicked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        self._detail_of(item)
        finding = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(finding, Finding):
            self.go_to.emit(finding.where)

    # --- online -------------------------------------------------------------------------------

    def _online_toggled(self, on: bool) -> None:
        if on:
            self._check_online()
        else:
            self.online_findings = []
            self._redraw()

    def _check_online(self) -> None:
        result, source = self._result, self._draft_source
        if result is None or result.rendered is None or self.online_busy or source is None:
            return
        html = result.rendered.html or ""
        if html == self._online_key:
            return
        self._online_key = html
        self.online_busy = True
        self.summary.setText("Checking links online…")
        draft, rendered, cancel = source(), result.rendered, self.cancel_online

        def work() -> list[Finding]:
            from composer.app.checks import online_findings
            from composer.core.checks import ProfileFacts, check_input

            inp = check_input(draft, ProfileFacts("local"), rendered=rendered, messages=[])
            return online_findings(inp, cancel=cancel)

        run_task(work, self._online_done, self._online_failed, owner=self)

    def _online_done(self, found: list[Finding]) -> None:
        self.online_busy = False
        if self.online.isChecked():
            self.online_findings = found
            self._shown = None
            self._redraw()
            self._check_online()  # the HTML may have changed meanwhile

    def _online_failed(self, exc: BaseException) -> None:
        self.online_busy = False
        self.summary.setText(f"The online check failed: {exc}")


# --- the window's side ---------------------------------------------------------------------------


def install(window: MainWindow) -> ChecksTab:
    """Add the tab beside the preview tabs and wire it to the window's preview and editors."""
    tab = ChecksTab(window.model.snapshot)
    window.preview.tabs.addTab(tab, "Checks")
    app = QCoreApplication.instance()
    if app is not None:  # quitting while links are asked: the check stops within 0.1 s
        app.aboutToQuit.connect(tab.cancel_online.set)
    tab.attach_label(window.preview.tabs)
    context = window.context
    window.schedule.checker = lambda: preview_checker(context, window.profile_name)
    window.schedule.current.connect(tab.show_result)
    window.header.profile_chosen.connect(lambda _name: window.schedule.render())
    # after a send the checks again: the sandbox allowance has changed, say
    window.send_controller.finished.connect(lambda _report: window.schedule.render())
    tab.go_to.connect(lambda where: go_to_source(window, where))
    return tab


def go_to_source(window: MainWindow, where: Where) -> None:
    """Put the cursor where a finding points: the editor of its part, at its line and column;
    a header field or the option it names."""
    body = window.body
    if where.part == "headers":
        field = {"Subject": window.header.subject, "To": window.header.to_field}.get(
            where.element or "", window.header.from_field
        )
        field.setFocus()
        return
    if where.part == "options":
        key = "recipients" if where.element == "archive" else "options"
        window.drawer.open(key)  # its folded panel opens in place
        (window.recipients if key == "recipients" else window.options).setFocus()
        return
    editor: QPlainTextEdit
    if where.part == "amp":
        editor = body.amp
    elif where.part == "text" and window.model.draft.body_format.value != "text":
        editor = body.plain
    else:
        editor = body.body
    page = editor if editor is body.amp else editor.parentWidget()
    while page is not None and body.indexOf(page) < 0:
        page = page.parentWidget()
    if page is not None:
        body.setCurrentWidget(page)
    if where.line is not None:
        block = editor.document().findBlockByNumber(where.line - 1)
        if block.isValid():
            cursor = QTextCursor(block)
            column = max(0, (where.column or 1) - 1)
            cursor.setPosition(block.position() + min(column, max(0, block.length() - 1)))
            editor.setTextCursor(cursor)
            editor.centerCursor()
    editor.setFocus()


def confirm_send(window: Any, findings: Sequence[Finding] | None = None) -> bool:
    """Before a send: with an error-level finding, ask once ("Send anyway" / "Cancel")."""
    tab = getattr(window, "checks_tab", None)
    errors = [f for f in (findings if findings is not None else
                          (tab.all_findings if tab is not None else []))
              if f.severity is Severity.ERROR]  # fmt: skip
    if not errors:
        return True
    box = QMessageBox(window)
    box.setObjectName("checkErrorsBox")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Checks found errors")
    box.setText(f"The checks found {len(errors)} error(s) in this message. Send it anyway?")
    shown = errors[:5]
    box.setInformativeText("\n\n".join(f"• {f.message} ({place(f.where)})" for f in shown)
                           + (f"\n\n…and {len(errors) - 5} more in the Checks tab."
                              if len(errors) > 5 else ""))  # fmt: skip
    anyway = box.addButton("Send anyway", QMessageBox.ButtonRole.AcceptRole)
    anyway.setObjectName("sendAnyway")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is anyway
