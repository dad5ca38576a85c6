"""File → New from template (the gallery) and Save as template, used as a person would; and
every built-in starter in the real preview: renders, makes 0 requests, dark mode applies."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from support.gui import WAIT

from composer.core.draft import Recipient
from composer.core.render import render
from composer.core.templates import builtin_templates
from composer.gui.preview.view import MOBILE_WIDTH, PreviewView

STARTERS = builtin_templates()
IMAGES = "https://images.example.com"


def _action(window, name: str):
    [action] = [a for a in window.findChildren(type(window.send_action)) if a.objectName() == name]
    return action


def _open_gallery(qtbot, window):
    _action(window, "newFromTemplate").trigger()
    qtbot.waitUntil(lambda: window.templates.gallery is not None
                    and window.templates.gallery.list.count() >= 6, timeout=WAIT)  # fmt: skip
    return window.templates.gallery


def test_new_from_template_lists_them_previews_the_selected_and_starts_a_draft(
    qtbot, window
) -> None:
    gallery = _open_gallery(qtbot, window)
    names = [gallery.list.item(i).text().split("\n")[0] for i in range(gallery.list.count())]
    assert names[:6] == [t.name for t in STARTERS]
    row = [t.key for t in STARTERS].index("password-reset")
    assert gallery.view is not None
    with qtbot.waitSignal(gallery.view.rendered, timeout=WAIT):
        gallery.list.setCurrentRow(row)
    assert "Subject: Reset your Example password" in gallery.details.text()
    assert "transactional" in gallery.details.text()
    assert not gallery.delete.isEnabled()  # built-in: nothing to delete
    QTest.keyClick(gallery.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.draft.subject == "Reset your Example password",
                    timeout=WAIT)  # fmt: skip
    assert window.model.draft.options.transactional is True
    assert window.drafts.path is None  # untitled: Save asks where
    assert window.header.subject.text() == "Reset your Example password"
    qtbot.waitUntil(lambda: window.preview.result is not None
                    and "Reset your password" in (window.preview.result.recipient_html or ""),
                    timeout=WAIT)  # fmt: skip


def test_typing_in_the_gallery_filters_and_enter_uses_the_match(qtbot, window) -> None:
    gallery = _open_gallery(qtbot, window)
    QTest.keyClicks(gallery.filter, "transactional rec")  # a tag and part of a name
    shown = [gallery.list.item(i).text().split("\n")[0] for i in range(gallery.list.count())
             if not gallery.list.item(i).isHidden()]  # fmt: skip
    assert shown == ["Transactional receipt"]
    assert gallery.current() is not None and gallery.current().key == "receipt"
    gallery.filter.clear()
    QTest.keyClick(gallery.filter, Qt.Key.Key_Down)  # arrows move the selection from the box
    assert gallery.current() is not None and gallery.current().key == "password-reset"
    QTest.keyClicks(gallery.filter, "rec")
    QTest.keyClick(gallery.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.model.draft.subject == "Your receipt for order #10482",
                    timeout=WAIT)  # fmt: skip


def test_a_draft_of_another_body_format_keeps_its_body(qtbot, window) -> None:
    """Found by the gallery: switching the editor's highlighting to the new draft's format
    emitted textChanged, and the model took the old (empty) editor text as the new body."""
    from composer.core.draft import BodyFormat, Draft

    assert window.model.draft.body_format is BodyFormat.MARKDOWN
    window.drafts.load(Draft(body="<p>kept</p>", body_format=BodyFormat.HTML), None)
    assert window.model.draft.body == "<p>kept</p>"
    assert window.body.body.toPlainText() == "<p>kept</p>"
    assert not window.model.dirty


def test_save_as_template_keeps_recipients_out_unless_ticked_then_it_is_listed(
    qtbot, window, context, monkeypatch
) -> None:
    window.model.update(subject="Board update", body="# Q3", campaign_id="board",
                        to=[Recipient("board@example.com")])  # fmt: skip

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None and dialog.objectName() == "saveTemplateDialog"
        assert dialog.name.text() == "Board update"  # the subject, to start from
        assert not dialog.include_recipients.isChecked()
        dialog.name.selectAll()
        QTest.keyClicks(dialog.name, "Board memo")
        QTest.keyClicks(dialog.description, "Quarterly note to the board")
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).click()

    QTimer.singleShot(0, fill)
    _action(window, "saveAsTemplate").trigger()
    path = context.paths.templates / "board-memo.json"
    qtbot.waitUntil(path.exists, timeout=WAIT)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["name"], doc["description"]) == ("Board memo", "Quarterly note to the board")
    assert doc["to"] == [] and doc["campaign_id"] == "board" and doc["body"] == "# Q3"
    qtbot.waitUntil(lambda: "Saved the template" in window.statusBar().currentMessage(),
                    timeout=WAIT)  # fmt: skip

    (context.paths.templates / "broken.json").write_text("{", encoding="utf-8")
    gallery = _open_gallery(qtbot, window)
    texts = [gallery.list.item(i).text() for i in range(gallery.list.count())]
    assert "Board memo  · yours\nBoard update" in texts
    [broken] = [gallery.list.item(i) for i in range(gallery.list.count())
                if gallery.list.item(i).text().startswith("broken  · damaged")]  # fmt: skip
    assert not broken.flags() & Qt.ItemFlag.ItemIsEnabled  # listed with its reason, not usable
    gallery.list.setCurrentRow(texts.index("Board memo  · yours\nBoard update"))
    assert gallery.delete.isEnabled()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    gallery.delete.click()
    qtbot.waitUntil(lambda: not path.exists(), timeout=WAIT)
    qtbot.waitUntil(lambda: all("Board memo" not in gallery.list.item(i).text()
                                for i in range(gallery.list.count())), timeout=WAIT)  # fmt: skip
    gallery.reject()


# --- every starter in the real preview ---------------------------------------------------------


@pytest.fixture
def hits() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="template-hits")
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture
def view(qtbot) -> Iterator[PreviewView]:
    widget = PreviewView(None)
    widget.resize(800, 600)
    widget.show()
    yield widget
    gone: list[bool] = []
    widget.destroyed.connect(lambda: gone.append(True))
    widget.deleteLater()
    qtbot.waitUntil(lambda: bool(gone), timeout=WAIT)


def _show(qtbot, view: PreviewView, html: str) -> None:
    with qtbot.waitSignal(view.rendered, timeout=WAIT):
        view.show_html(html, keep_scroll=False)
    assert view.last_load_ok


def _probe(qtbot, view: PreviewView, expression: str) -> object:
    from PySide6.QtWebEngineCore import QWebEngineScript

    results: list[str] = []
    world = QWebEngineScript.ScriptWorldId.ApplicationWorld
    view.page().runJavaScript(f"JSON.stringify({expression})", world, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=WAIT)
    return json.loads(results[0]) if results[0] else None


@pytest.mark.parametrize("key", [t.key for t in STARTERS])
def test_each_starter_renders_in_the_preview_with_no_request(qtbot, view, hits, key) -> None:
    base, seen = hits
    [t] = [t for t in STARTERS if t.key == key]
    html = render(t.draft).html or ""
    # Its images point at a recording server here: a request reaching it is one that left.
    html = html.replace(IMAGES, base)
    _show(qtbot, view, html)
    assert _probe(qtbot, view, "document.documentElement.lang") == "en"
    heading = _probe(qtbot, view, "(document.querySelector('h1') || document.body).innerText")
    assert isinstance(heading, str) and heading.strip()
    # Images are blocked here, as in most inboxes: their alt text is what people read.
    small = "parseFloat(getComputedStyle(i).fontSize) < 10"
    tiny = _probe(qtbot, view, f"[...document.images].filter(i => {small}).map(i => i.alt)")
    assert tiny == []
    light = _probe(qtbot, view, "getComputedStyle(document.body).backgroundColor")
    _show(qtbot, view, "<p>barrier</p>")  # a full load: anything pending was asked for by now
    assert seen == []
    with qtbot.waitSignal(view.rendered, timeout=WAIT):
        view.set_dark_mode(True)  # reloads what is shown (the barrier) first
    _show(qtbot, view, html)
    dark = _probe(qtbot, view, "getComputedStyle(document.body).backgroundColor")
    assert dark != light  # its prefers-color-scheme: dark rules apply
    with qtbot.waitSignal(view.rendered, timeout=WAIT):
        view.set_dark_mode(False)
    view.set_width(MOBILE_WIDTH)  # a phone: the layout narrows, nothing scrolls sideways
    qtbot.waitUntil(lambda: _probe(qtbot, view, "innerWidth") == MOBILE_WIDTH, timeout=WAIT)
    widths = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    scroll, client = _probe(qtbot, view, widths)  # client: without the vertical scrollbar
    assert scroll <= client
    view.set_width(None)
    if IMAGES in (render(t.draft).html or ""):  # the control: allowed, the images do load
        with qtbot.waitSignal(view.rendered, timeout=WAIT):
            view.set_remote_content_allowed(True)
        qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)


def test_closing_the_window_with_the_gallery_open_is_clean(qtbot, context, monkeypatch,
                                                           qtlog) -> None:
    import shiboken6
    from support.gui import main_window

    with main_window(qtbot, monkeypatch, context) as window:
        gallery = _open_gallery(qtbot, window)
        view = gallery.view
        assert view is not None
        gallery.list.setCurrentRow(1)  # a render on its way
        window.close()
        # Its web view is gone with the window's close, not left to interpreter exit (where a
        # profile released before its page makes QtWebEngine warn "Expect troubles!").
        assert not shiboken6.isValid(view)
    assert not [r for r in qtlog.records if "Release of profile" in r.message]
