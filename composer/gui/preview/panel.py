"""The preview: what recipients get, shown from the bytes the send path builds.

Tabs: Rendered, No <style> (as clients that drop it show it), HTML source, Plain text, Raw message
(envelope + exact bytes) and Recipients (each copy's headers, as the relay delivers them).
Only the visible tab is refreshed on each result; the others catch up when shown, so typing
pays for one web view, not two.

The web views are not made with the panel: the window calls ``start_views`` after its first
paint (a QtWebEngine view and its private profile cost ~100 ms each, and the window should be
usable before that), and the "No <style>" view is made the first time its tab is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from composer.core.problems import GMAIL_CLIP_BYTES

if TYPE_CHECKING:
    from composer.gui.preview.pipeline import PreviewResult
    from composer.gui.preview.view import PreviewView

MOBILE_WIDTH = 375
_TAB_TIPS = (  # the whole name and what each tab shows, also when its label is shortened
    "Rendered: the HTML as a mail client shows it (remote content blocked)",
    "No <style>: the message as clients that drop <style> blocks show it",
    "HTML source: the HTML part exactly as it is sent",
    "Plain text: the text/plain part",
    "Raw message: the envelope and the exact bytes sent",
    "Recipients: each copy's headers, as the relay delivers them",
)


def _text_view(name: str) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setObjectName(name)
    view.setAccessibleName(name)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return view


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} bytes"


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setObjectName("previewNote")
    return label


class PreviewPanel(QWidget):
    remote_content_toggled = Signal(bool)
    views_ready = Signal()  # the Rendered web view exists (start_views)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: PreviewResult | None = None
        self._shown: dict[int, int] = {}  # tab index -> generation painted there
        self.web: PreviewView | None = None
        self.web_no_style: PreviewView | None = None
        self._views_started = False
        self.tabs = QTabWidget()
        self.tabs.setObjectName("previewTabs")
        self.tabs.addTab(_note("Starting the preview…"), "Rendered")
        self.tabs.addTab(_note("Starting the preview…"), "No <style>")
        self.source = _text_view("htmlSource")
        self.plain = _text_view("plainTextPreview")
        self.plain.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.raw = _text_view("rawMessage")
        self.copies = _text_view("recipientCopies")
        self.tabs.addTab(self.source, "HTML source")
        self.tabs.addTab(self.plain, "Plain text")
        self.tabs.addTab(self.raw, "Raw message")
        self.tabs.addTab(self.copies, "Recipients")
        self.tabs.currentChanged.connect(self._tab_changed)
        # Every tab stays in sight on a 1280-wide screen (the Checks tab, with its count of
        # findings, was behind the scroll arrows): a narrow preview shortens labels instead.
        self.tabs.setUsesScrollButtons(False)
        self.tabs.tabBar().setElideMode(Qt.TextElideMode.ElideMiddle)  # keeps "(3)"
        for index, tip in enumerate(_TAB_TIPS):
            self.tabs.setTabToolTip(index, tip)

        self.width_switch = QComboBox()
        self.width_switch.addItems(["Desktop", "Mobile (375 px)"])
        self.width_switch.setAccessibleName("Preview width")
        self.width_switch.currentIndexChanged.connect(self._width_changed)
        self.width_switch.setToolTip("Preview at a desktop width, or a 375 px phone screen")
        self.dark = QCheckBox("Dark mode")
        self.dark.setToolTip(
            "Preview as a mail client in dark mode shows it; the message sent is not changed"
        )
        self.dark.toggled.connect(self._dark_changed)
        self.remote = QCheckBox("Load remote content for this message")
        self.remote.setToolTip(
            "Images and CSS from the web are blocked: loading them tells "
            "their servers that the message was opened."
        )
        self.remote.toggled.connect(self._remote_changed)
        self.size_meter = QLabel()
        self.size_meter.setObjectName("sizeMeter")
        self.status = QLabel("Waiting for the first preview…")
        self.status.setObjectName("previewStatus")

        bar = QHBoxLayout()
        for w in (self.width_switch, self.dark, self.remote):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.size_meter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)

    # --- the web views, made after the window is up ------------------------------------------

    def start_views(self) -> None:
        """Make the Rendered view (once); emits ``views_ready`` when it exists. Where
        QtWebEngine cannot run, both web tabs say why instead."""
        if self._views_started:
            return
        self._views_started = True
        from composer.gui.preview.scheme import register_preview_scheme
        from composer.gui.preview.view import preview_available

        # Before the first web view (and so Chromium) exists; the QApplication may already.
        register_preview_scheme()
        ok, why = preview_available()
        if not ok:
            for index in (0, 1):
                self._swap_tab(index, _note(f"The rendered preview is not available here: {why}"))
            return
        self.web = self._make_view("preview", "Rendered preview")
        self._swap_tab(0, self.web)
        self.views_ready.emit()
        if self.tabs.currentIndex() == 1:
            self._ensure_no_style_view()
        self._paint_current()

    def _ensure_no_style_view(self) -> None:
        if self.web_no_style is None and self.web is not None:
            self.web_no_style = self._make_view("previewNoStyle", "Preview without style elements")
            self._swap_tab(1, self.web_no_style)

    def _make_view(self, name: str, accessible: str) -> PreviewView:
        from composer.gui.preview.view import PreviewView

        view = PreviewView(self)
        view.setObjectName(name)
        view.setAccessibleName(accessible)
        view.link_clicked.connect(self._ask_open_link)
        # A view made late starts with the settings the person already chose.
        view.set_width(MOBILE_WIDTH if self.width_switch.currentIndex() == 1 else None)
        view.set_dark_mode(self.dark.isChecked())
        view.set_remote_content_allowed(self.remote.isChecked())
        return view

    def _swap_tab(self, index: int, widget: QWidget) -> None:
        current = self.tabs.currentIndex()
        label, tip = self.tabs.tabText(index), self.tabs.tabToolTip(index)
        old = self.tabs.widget(index)
        with QSignalBlocker(self.tabs):
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, widget, label)
            self.tabs.setTabToolTip(index, tip)
            self.tabs.setCurrentIndex(current)
        self._shown.pop(index, None)
        if old is not None:
            old.deleteLater()

    def _tab_changed(self, index: int) -> None:
        if index == 1 and self._views_started:
            self._ensure_no_style_view()
        self._paint_current()

    # --- results ----------------------------------------------------------------------------

    def show_result(self, result: PreviewResult) -> None:
        self.result = result
        n = result.html_bytes
        if result.recipient_html is None:
            self.size_meter.setText("No HTML part")
            self.size_meter.setStyleSheet("")
        else:
            clipped = result.clipped_by_gmail
            self.size_meter.setText(
                f"HTML {_size(n)} of {_size(GMAIL_CLIP_BYTES)}"
                + (" — Gmail will clip it" if clipped else "")
            )
            self.size_meter.setStyleSheet("color: #b00020;" if clipped else "")
        self.status.setText(result.note or "Preview is up to date.")
        self._paint_current()

    def _paint_current(self) -> None:
        r = self.result
        index = self.tabs.currentIndex()
        if r is None or self._shown.get(index) == r.generation:
            return
        self._shown[index] = r.generation
        widget = self.tabs.widget(index)
        html = r.recipient_html
        if widget is self.web and self.web is not None:
            self.web.show_html(html if html is not None else _as_html(r), images=r.images)
        elif widget is self.web_no_style and self.web_no_style is not None:
            self.web_no_style.show_html(r.no_style_html or _as_html(r), images=r.images)
        elif widget is self.source:
            self.source.setPlainText(html if html is not None else "(a plain-text message)")
        elif widget is self.plain:
            self.plain.setPlainText(r.rendered.text if r.rendered else r.note)
        elif widget is self.raw:
            self.raw.setPlainText(r.raw_text())
        elif widget is self.copies:
            self.copies.setPlainText(_copies_text(r))

    def repaint_all(self) -> None:
        self._shown.clear()
        self._paint_current()

    # --- controls ---------------------------------------------------------------------------

    def _width_changed(self, index: int) -> None:
        for view in (self.web, self.web_no_style):
            if view is not None:
                view.set_width(MOBILE_WIDTH if index == 1 else None)

    def _dark_changed(self, on: bool) -> None:
        for view in (self.web, self.web_no_style):
            if view is not None:
                view.set_dark_mode(on)

    def _remote_changed(self, on: bool) -> None:
        for view in (self.web, self.web_no_style):
            if view is not None:
                view.set_remote_content_allowed(on)
        self.remote_content_toggled.emit(on)

    def dispose(self) -> None:
        """Delete the web views now, while Qt is fully alive. Left to interpreter exit, a
        view's profile can be released before its page, and QtWebEngine then crashes."""
        import shiboken6

        for name in ("web", "web_no_style"):
            view = getattr(self, name)
            if view is not None and shiboken6.isValid(view):
                shiboken6.delete(view)
            setattr(self, name, None)

    def reset_remote_content(self) -> None:
        """A new message starts with remote content blocked again."""
        self.remote.setChecked(False)

    def _ask_open_link(self, url: QUrl) -> None:
        text = url.toDisplayString()
        answer = QMessageBox.question(
            self,
            "Open link",
            f"Open this link in your browser?\n\n{text}",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Open and url.scheme() in (
            "http",
            "https",
            "mailto",
        ):
            QDesktopServices.openUrl(url)


def _as_html(r: PreviewResult) -> str:
    import html

    text = r.rendered.text if r.rendered else r.note
    return f"<pre style='white-space:pre-wrap;font-family:sans-serif'>{html.escape(text)}</pre>"


def _copies_text(r: PreviewResult) -> str:
    if not r.copies:
        return r.note or "No copies."
    out = [f"{len(r.copies)} cop{'y' if len(r.copies) == 1 else 'ies'} will be delivered:", ""]
    for c in r.copies:
        head = c.data.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace").replace("\r\n", "\n")
        out += [f"── {c.rcpt} ({c.rcpt_type}) ──", head, ""]
    return "\n".join(out)
