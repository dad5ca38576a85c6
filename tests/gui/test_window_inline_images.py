"""Inline (cid) images in the window: the real QtWebEngine preview shows them from its own
scheme with no network request, Insert → Inline image and a drop add the image and its tag,
and the Raw message shows the multipart/related structure."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWebEngineCore import QWebEngineScript
from PySide6.QtWidgets import QApplication
from support.gui import WAIT
from support.images import png

from composer.core.draft import BodyFormat, Draft, InlineImage, Recipient
from composer.gui.main_window import MainWindow
from composer.gui.preview import copy_viewer
from composer.gui.preview.view import PreviewView


@pytest.fixture
def hits() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every request: any hit is a request that left."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, name="cid-hit-recorder")
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


def probe(qtbot, view: PreviewView, expression: str) -> object:
    results: list[str] = []
    world = QWebEngineScript.ScriptWorldId.ApplicationWorld
    view.page().runJavaScript(f"JSON.stringify({expression})", world, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=WAIT)
    return json.loads(results[0]) if results[0] else None


def loaded_width(qtbot, view: PreviewView, element: str) -> int:
    """naturalWidth once the image has settled (0 for one that failed to load)."""
    expr = f"(() => {{ const i = document.getElementById('{element}'); "
    expr += "return i && i.complete ? i.naturalWidth : -1; })()"
    widths: list[object] = []
    qtbot.waitUntil(
        lambda: widths.append(probe(qtbot, view, expr)) or widths[-1] != -1, timeout=WAIT
    )
    return int(widths[-1])  # type: ignore[call-overload]


def test_the_preview_shows_cid_images_with_no_network(qtbot, view, hits) -> None:
    base, seen = hits
    html = (
        '<p><img id="logo" src="cid:logo" alt="Acme"><img id="other" src="cid:nobody">'
        f'<img id="remote" src="{base}/pixel.gif"></p>'
        '<div id="bg" style="background:url(cid:logo);width:10px;height:10px"></div>'
    )
    with qtbot.waitSignal(view.rendered, timeout=WAIT):
        view.show_html(html, keep_scroll=False, images={"logo": ("image/png", png(120, 40))})
    assert loaded_width(qtbot, view, "logo") == 120
    assert loaded_width(qtbot, view, "other") == 0  # an unknown cid is not served
    assert loaded_width(qtbot, view, "remote") == 0  # remote content stays off
    # a full new load: anything the first document meant to fetch has been asked for by now
    with qtbot.waitSignal(view.rendered, timeout=WAIT):
        view.show_html("<p>barrier</p>", keep_scroll=False)
    assert seen == []


def test_a_replaced_image_is_shown_new(qtbot, view) -> None:
    html = '<img id="logo" src="cid:logo">'
    with qtbot.waitSignal(view.rendered, timeout=WAIT):
        view.show_html(html, keep_scroll=False, images={"logo": ("image/png", png(10, 10))})
    assert loaded_width(qtbot, view, "logo") == 10
    with qtbot.waitSignal(view.rendered, timeout=WAIT):
        view.show_html(html, images={"logo": ("image/png", png(30, 10))})  # same text
    assert loaded_width(qtbot, view, "logo") == 30


def test_only_image_types_are_served(qtbot, view) -> None:
    images = {"x": ("text/html", b"<script>alert(1)</script>")}
    with qtbot.waitSignal(view.rendered, timeout=WAIT):
        view.show_html('<img id="x" src="cid:x">', keep_scroll=False, images=images)
    assert loaded_width(qtbot, view, "x") == 0


# --- the window -------------------------------------------------------------------------------


def start(window: MainWindow, body: str = "Hello\n\n", fmt=BodyFormat.MARKDOWN) -> None:
    window.model.replace_draft(
        Draft(
            from_addr=Recipient("ann@example.com"),
            to=[Recipient("bob@example.com")],
            subject="Logo",
            body=body,
            body_format=fmt,
        )
    )


def test_insert_inline_image_adds_it_and_its_tag_and_the_preview_shows_it(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    logo = tmp_path / "acme_logo.png"
    logo.write_bytes(png(120, 40))
    start(window)
    editor = window.body.body
    cursor = editor.textCursor()
    cursor.setPosition(len("Hello\n\n"))
    editor.setTextCursor(cursor)
    with qtbot.waitSignal(window.inline_images.added, timeout=WAIT) as added:
        window.inline_images.add_paths([str(logo)])
    assert added.args == ["acme_logo.png"]
    assert window.model.draft.inline_images == [InlineImage(str(logo), "acme_logo.png")]
    assert (
        '<img src="cid:acme_logo.png" alt="acme logo" width="120" height="40"'
        in window.model.draft.body
    )
    qtbot.waitUntil(lambda: window.preview.web is not None, timeout=WAIT)
    web = window.preview.web
    assert web is not None
    qtbot.waitUntil(
        lambda: (
            probe(qtbot, web, "document.images.length && document.images[0].naturalWidth") == 120
        ),
        timeout=WAIT,
    )
    raw = window.preview.result.raw_text() if window.preview.result else ""
    assert 'Content-Type: multipart/related; type="text/html"' in raw
    assert "Content-ID: <acme_logo.png>" in raw
    assert not [p for p in window.model.problems if p.is_error]


def test_dropping_an_image_on_the_editor(qtbot, window: MainWindow, tmp_path: Path) -> None:
    (tmp_path / "dot.png").write_bytes(png(2, 2))
    start(window, body="<p>x</p>", fmt=BodyFormat.HTML)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "dot.png"))])
    # The viewport is watched from the editor's first paint on (no drag comes before it).
    qtbot.waitUntil(lambda: window.inline_images.viewport_watched, timeout=WAIT)
    viewport = window.body.body.viewport()
    # As a real drag: entering makes the editor the drop target, then the drop itself.
    enter = QDragEnterEvent(
        QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    with qtbot.waitSignal(window.inline_images.added, timeout=WAIT):
        QApplication.sendEvent(viewport, drop)  # Qt hands it to the first that takes drops
    assert drop.isAccepted()
    assert 'src="cid:dot.png"' in window.model.draft.body
    assert [i.cid for i in window.model.draft.inline_images] == ["dot.png"]


def test_a_file_that_is_not_an_image_is_refused(qtbot, window, tmp_path: Path) -> None:
    fake = tmp_path / "logo.png"
    fake.write_bytes(b"MZ\x90\x00 an executable, named like an image")
    start(window)
    with qtbot.waitSignal(window.inline_images.failed, timeout=WAIT) as failed:
        window.inline_images.add_paths([str(fake)])
    assert "is not a PNG, JPEG, GIF or WebP image" in failed.args[0]
    assert window.model.draft.inline_images == []
    assert "cid:" not in window.model.draft.body


def test_a_plain_text_body_says_why(qtbot, window, tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png(1, 1))
    start(window, fmt=BodyFormat.TEXT)
    with qtbot.waitSignal(window.inline_images.failed, timeout=WAIT) as failed:
        window.inline_images.add_paths([str(tmp_path / "a.png")])
    assert "HTML or Markdown body" in failed.args[0]


def test_remove_unused_inline_images(qtbot, window, tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(png(1, 1))
    start(window, body='<img src="cid:a">', fmt=BodyFormat.HTML)
    window.model.update(
        inline_images=[InlineImage(str(tmp_path / "a.png"), "a"), InlineImage("/x.png", "b")]
    )
    assert window.model.draft.body == '<img src="cid:a">', window.model.draft.body
    window.inline_images.remove_unused()
    assert [i.cid for i in window.model.draft.inline_images] == ["a"]


def test_a_new_draft_in_another_format_keeps_its_body(qtbot, window) -> None:
    """Re-highlighting for the new format once wrote the editor's old text over the body."""
    start(window, body='<img src="cid:a">', fmt=BodyFormat.HTML)
    assert window.model.draft.body == '<img src="cid:a">'
    assert window.body.body.toPlainText() == '<img src="cid:a">'


def test_a_delivered_copy_shows_its_related_images(tmp_path: Path) -> None:
    from composer.core.build import build_message

    (tmp_path / "a.png").write_bytes(png(7, 3))
    draft = Draft(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="s",
        body='<img src="cid:a">',
        body_format=BodyFormat.HTML,
        inline_images=[InlineImage(str(tmp_path / "a.png"), "a")],
    )
    (tmp_path / "copy.eml").write_bytes(build_message(draft).data)
    _headers, html, images = copy_viewer.read_copy(tmp_path / "copy.eml")
    assert 'src="cid:a"' in html
    assert images == {"a": ("image/png", png(7, 3))}


@pytest.mark.parametrize(("answer", "kept"), [("No", []), ("Yes", ["key"])])
def test_a_draft_from_elsewhere_asks_about_outside_images(
    qtbot, monkeypatch, tmp_path: Path, answer: str, kept: list[str]
) -> None:
    """Opening a draft whose image is ~/.ssh/id_rsa (hidden in the home) asks first; No opens
    it without the image. The question itself is a QMessageBox: the person's answer is given."""
    from PySide6.QtWidgets import QMessageBox

    from composer.gui.inline_images import keep_outside_inline_images

    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (tmp_path / "drafts").mkdir()
    monkeypatch.setenv("HOME", str(home))
    asked: list[str] = []

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return getattr(QMessageBox.StandardButton, answer)

    monkeypatch.setattr(QMessageBox, "question", question)
    near = InlineImage(str(tmp_path / "drafts" / "logo.png"), "logo")
    draft = Draft(inline_images=[near, InlineImage(str(home / ".ssh" / "id_rsa"), "key")])
    out = keep_outside_inline_images(None, draft, str(tmp_path / "drafts" / "d.json"))
    assert len(asked) == 1 and str(home / ".ssh" / "id_rsa") in asked[0]
    assert [i.cid for i in out.inline_images] == ["logo", *kept]
