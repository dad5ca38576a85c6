"""The Rendered preview, in a real QtWebEngine, against a loopback server that records hits.

Every remote reference in a hostile message points at 127.0.0.1; a request reaching the server
is a tracking pixel that fired. A positive control (remote content allowed) proves the server
would have seen the requests.
"""

from __future__ import annotations

import base64
import http.server
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl
from PySide6.QtTest import QTest
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript
from support.net import ConnectionCounter

from composer.gui.preview import strip as preview_module_strip
from composer.gui.preview import view as preview_module
from composer.gui.preview.scheme import SCHEME
from composer.gui.preview.view import MOBILE_WIDTH, PreviewView, preview_available

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
LOAD_TIMEOUT = 20_000  # ms; the first page in a process starts the Chromium helpers


@pytest.fixture(autouse=True)
def no_thread_left_running() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    assert set(threading.enumerate()) <= before


@dataclass
class Server:
    base: str
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def server() -> Iterator[Server]:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)  # list.append is atomic; handlers run on their own threads
            body, ctype = GIF, "image/gif"
            if self.path.endswith(".css"):
                body, ctype = b"body{color:red}", "text/css"
            elif self.path.startswith(("/iframe", "/refresh")):
                body, ctype = b"<p>remote</p>", "text/html"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="hit-recorder")
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", hits)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive()


@pytest.fixture
def view(qtbot) -> Iterator[PreviewView]:
    widget = PreviewView(None)
    widget.resize(800, 600)
    widget.show()
    yield widget
    # Deleted now, page before profile: left to interpreter exit, QtWebEngine warns "Release
    # of profile requested but WebEnginePage still not deleted. Expect troubles !"
    gone: list[bool] = []
    widget.destroyed.connect(lambda: gone.append(True))
    widget.deleteLater()
    qtbot.waitUntil(lambda: bool(gone), timeout=LOAD_TIMEOUT)


def show(qtbot, view: PreviewView, html: str, *, keep_scroll: bool = False) -> None:
    with qtbot.waitSignal(view.rendered, timeout=LOAD_TIMEOUT):
        view.show_html(html, keep_scroll=keep_scroll)
    assert view.last_load_ok


def probe(qtbot, view: PreviewView, expression: str) -> object:
    """Evaluate in the application's script world (works with page JavaScript off). The value
    travels as JSON: PySide 6.12 turns a JavaScript array result into ''."""
    results: list[str] = []
    world = QWebEngineScript.ScriptWorldId.ApplicationWorld
    view.page().runJavaScript(f"JSON.stringify({expression})", world, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=LOAD_TIMEOUT)
    return json.loads(results[0]) if results[0] else None


def settle(qtbot, view: PreviewView) -> None:
    """A bounded, deterministic last chance for late requests: a new full load replaces the
    document, so anything it was going to fetch has been asked for (and intercepted) by now."""
    show(qtbot, view, "<p>barrier</p>")


def hostile(r: str, secret: Path) -> str:
    return f"""<!doctype html><html><head>
<meta http-equiv="refresh" content="0;url={r}/refresh">
<link rel="stylesheet" href="{r}/link.css">
<link rel="icon" href="{r}/favicon.ico">
<style>@import url({r}/import.css); .bg {{ background: url({r}/style-bg.gif) }}</style>
<title>orig</title></head><body>
<p class="bg" style="background:url({r}/inline-bg.gif)">hello</p>
<img id="pixel" src="{r}/pixel.gif?uid=123" width="1" height="1">
<img srcset="{r}/srcset.gif 1x, {r}/srcset2.gif 2x">
<svg width="1" height="1"><image href="{r}/svg.gif" width="1" height="1"/></svg>
<video poster="{r}/poster.gif"></video>
<iframe src="{r}/iframe"></iframe>
<img id="data" src="data:image/gif;base64,{base64.b64encode(GIF).decode()}">
<img id="file" src="file://{secret}">
<img src="file:///etc/passwd"><iframe src="file:///etc/passwd"></iframe>
<script>document.title = "ran"; fetch("{r}/js-fetch");</script>
</body></html>"""


def test_hostile_message_makes_no_request_until_remote_content_is_allowed(
    qtbot, view: PreviewView, server: Server, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.gif"
    secret.write_bytes(GIF)
    html = hostile(server.base, secret)

    show(qtbot, view, html)
    loaded = probe(qtbot, view, "[document.getElementById('data').naturalWidth,"
                                " document.getElementById('file').naturalWidth]")  # fmt: skip
    assert loaded == [1, 0]  # data: images show, a local file does not
    show(qtbot, view, "<p>edited</p>" + html, keep_scroll=True)  # in-place replacement path
    settle(qtbot, view)
    assert server.hits == []
    assert view.page().url() == view.document_url
    assert view.document_url.scheme() == SCHEME

    show(qtbot, view, html)
    with qtbot.waitSignal(view.rendered, timeout=LOAD_TIMEOUT):
        view.set_remote_content_allowed(True)
    qtbot.waitUntil(lambda: any(hit.startswith("/pixel.gif") for hit in server.hits))
    settle(qtbot, view)
    # Remote images and CSS only: never frames, scripts, refresh targets or favicons.
    assert not {"/iframe", "/refresh", "/js-fetch", "/favicon.ico"} & set(server.hits)
    assert view.page().url() == view.document_url

    with qtbot.waitSignal(view.rendered, timeout=LOAD_TIMEOUT):
        view.set_remote_content_allowed(False)
    server.hits.clear()
    show(qtbot, view, html)
    settle(qtbot, view)
    assert server.hits == []


@pytest.mark.parametrize("alone", ["interceptor", "csp"])
def test_each_layer_alone_blocks_the_tracking_pixel(
    qtbot, view: PreviewView, server: Server, tmp_path: Path, monkeypatch, alone: str
) -> None:
    """The interceptor (browser process) and the CSP header (renderer) are independent: with
    the other one opened up, each still stops every request."""
    if alone == "interceptor":
        permissive = "default-src * data: 'unsafe-inline' 'unsafe-eval'"
        monkeypatch.setattr(preview_module, "_csp", lambda remote: permissive)
    else:  # the interceptor lets remote images and CSS through; the header stays strict
        strict = preview_module._csp(False)
        monkeypatch.setattr(preview_module, "_csp", lambda remote: strict)
        view.set_remote_content_allowed(True)
    show(qtbot, view, hostile(server.base, tmp_path / "none.gif"))
    settle(qtbot, view)
    assert server.hits == []


def test_a_3_mb_document_renders(qtbot, view: PreviewView) -> None:
    paragraph = "<p>" + "x" * 1000 + "</p>\n"
    html = "<html><body>" + paragraph * 3200 + "<p id='last'>END</p></body></html>"
    assert len(html.encode()) > 3_000_000  # setHtml() shows a blank page above 2 MB
    show(qtbot, view, html)
    assert probe(qtbot, view, "document.getElementById('last').textContent") == "END"


def test_a_clicked_link_is_handed_to_the_window_not_followed(qtbot, view: PreviewView) -> None:
    show(qtbot, view, "<p>hi</p>")
    before = view.page().url()
    target = QUrl("https://example.com/")
    with qtbot.waitSignal(view.link_clicked, timeout=5000) as clicked:
        accepted = view.page().acceptNavigationRequest(
            target, QWebEnginePage.NavigationType.NavigationTypeLinkClicked, True
        )
    assert accepted is False
    assert clicked.args == [target]
    assert view.page().url() == before


@pytest.mark.parametrize("target", ["", "_blank"])
def test_a_real_mouse_click_on_a_link_reaches_link_clicked(
    qtbot, view: PreviewView, target: str
) -> None:
    link = "https://example.com/offer?id=1"
    style = "display:block;position:absolute;left:0;top:0;width:400px;height:300px"
    show(qtbot, view, f"<a href='{link}' target='{target}' style='{style}'>offer</a>")
    before = view.page().url()
    with qtbot.waitSignal(view.link_clicked, timeout=10_000) as clicked:
        QTest.mouseClick(view.focusProxy(), Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    assert clicked.args == [QUrl(link)]
    show(qtbot, view, "<p>after</p>", keep_scroll=True)  # the view still works afterwards
    assert view.page().url() == before


@pytest.mark.parametrize("csp", ["strict", "permissive"])
def test_javascript_in_the_document_does_not_run(
    qtbot, view: PreviewView, monkeypatch: pytest.MonkeyPatch, csp: str
) -> None:
    if csp == "permissive":  # the CSP alone also stops inline scripts: test the setting alone
        permissive = "default-src * data: 'unsafe-inline' 'unsafe-eval'"
        monkeypatch.setattr(preview_module, "_csp", lambda remote: permissive)
    show(qtbot, view, "<title>orig</title><script>document.title = 'ran'</script><p>x</p>")
    assert probe(qtbot, view, "document.title") == "orig"
    assert view.title() == "orig"


def test_same_message_update_keeps_the_scroll_position(qtbot, view: PreviewView) -> None:
    body = "".join(f"<p id='p{i}'>paragraph {i}</p>" for i in range(400))
    show(qtbot, view, body)
    probe(qtbot, view, "scrollTo(0, 2000)")
    qtbot.waitUntil(lambda: view.page().scrollPosition().y() == 2000)
    show(qtbot, view, body.replace("paragraph 7<", "edited 7<"), keep_scroll=True)
    assert probe(qtbot, view, "[document.getElementById('p7').textContent, scrollY]") == [
        "edited 7",
        2000,
    ]
    show(qtbot, view, "<p>another message</p>", keep_scroll=False)
    assert probe(qtbot, view, "document.body.textContent") == "another message"


def test_dark_mode_applies_dark_rules_and_darkens_light_pages(qtbot, view: PreviewView) -> None:
    css = "@media (prefers-color-scheme: dark) { #t { color: rgb(1, 2, 3) } }"
    show(qtbot, view, f"<style>{css}</style><body style='background:#fff'><p id='t'>x</p>")
    color = "getComputedStyle(document.getElementById('t')).color"
    assert probe(qtbot, view, color) != "rgb(1, 2, 3)"
    with qtbot.waitSignal(view.rendered, timeout=LOAD_TIMEOUT):
        view.set_dark_mode(True)
    assert probe(qtbot, view, color) == "rgb(1, 2, 3)"
    # ForceDarkMode paints the white page dark (it does not change computed styles).
    qtbot.waitUntil(lambda: view.grab().toImage().pixelColor(700, 500).lightness() < 80)


def test_mobile_width_gives_a_375_px_viewport(qtbot, view: PreviewView) -> None:
    show(qtbot, view, "<p>x</p>")
    view.set_width(MOBILE_WIDTH)
    qtbot.waitUntil(lambda: probe(qtbot, view, "innerWidth") == MOBILE_WIDTH)
    assert probe(qtbot, view, "matchMedia('(max-width: 480px)').matches") is True
    view.set_width(None)
    view.resize(800, 600)  # a layout would do this; a top-level widget keeps its size
    qtbot.waitUntil(lambda: probe(qtbot, view, "innerWidth") == 800)


def test_interceptor_fails_closed() -> None:
    class Broken:
        def __init__(self) -> None:
            self.blocked: list[bool] = []

        def requestUrl(self) -> QUrl:
            raise RuntimeError("a bug in the interceptor")

        def block(self, value: bool) -> None:
            self.blocked.append(value)

    info = Broken()
    preview_module._Interceptor(QObject()).interceptRequest(info)  # type: ignore[arg-type]
    assert info.blocked == [True]


def test_the_profile_outlives_its_page(qtbot, qtlog) -> None:
    widget = PreviewView(None)
    show(qtbot, widget, "<p>x</p>")
    gone: list[bool] = []
    widget.destroyed.connect(lambda: gone.append(True))
    widget.deleteLater()
    qtbot.waitUntil(lambda: bool(gone))
    assert not [r for r in qtlog.records if "Release of profile" in r.message]


def test_preview_available_refuses_root_without_a_sandbox_override(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(preview_module.os, "geteuid", lambda: 0, raising=False)
    monkeypatch.delenv("QTWEBENGINE_DISABLE_SANDBOX", raising=False)
    monkeypatch.delenv("QTWEBENGINE_CHROMIUM_FLAGS", raising=False)
    ok, why = preview_available()
    assert not ok and "root" in why
    monkeypatch.setenv("QTWEBENGINE_DISABLE_SANDBOX", "1")
    assert preview_available() == (True, "")
    monkeypatch.setattr(preview_module.os, "geteuid", lambda: 1000, raising=False)
    monkeypatch.delenv("QTWEBENGINE_DISABLE_SANDBOX")
    assert preview_available() == (True, "")


def test_the_module_imports_without_qtwebengine() -> None:
    """PySide6-WebEngine is a separate wheel: the window must still get a sentence to show."""
    code = (
        "import sys; sys.modules['PySide6.QtWebEngineCore'] = None\n"
        "from composer.gui.preview.view import preview_available\n"
        "from composer.gui.preview.scheme import register_preview_scheme\n"
        "ok, why = preview_available()\n"
        "assert not ok and 'PySide6-WebEngine' in why and not register_preview_scheme()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --- resource hints: TCP connections the interceptor never sees ------------------------------


def hinted(origin: str) -> str:
    """Every resource hint a message can carry, each naming the listener (by IP and by name)."""
    named = origin.replace("127.0.0.1", "localhost")
    links = "".join(
        f'<link rel="{rel}" href="{base}/{rel}.js"{extra}>\n'
        for base in (origin, named)
        for rel, extra in [
            ("preconnect", ""),
            ("PreConnect", " crossorigin"),
            ("dns-prefetch", ""),
            ("prefetch", ""),
            ("prerender", ""),
            ("modulepreload", ""),
            ("preload", ' as="script"'),
            ("preload", ' as="image"'),
            ("next prefetch", ""),
            ("pre&#99;onnect", ""),  # a character reference: still "preconnect" to Chromium
        ]
    )
    return f"""<!doctype html><html><head>
<meta http-equiv="x-dns-prefetch-control" content="on">
<meta http-equiv="Link" content="<{origin}/meta-link>; rel=preconnect">
{links}<script type="speculationrules">{{"prefetch": [{{"source": "list",
 "urls": ["{origin}/speculation"]}}], "prerender": [{{"source": "list",
 "urls": ["{origin}/speculation2"]}}]}}</script>
<noscript><link rel="preconnect" href="{origin}/noscript"></noscript>
</head><body><p>hello</p><a href="{origin}/link">a link</a>
<svg><link rel="preconnect" href="{origin}/svg"></link></svg>
<iframe srcdoc='<link rel="preconnect" href="{origin}/srcdoc">'></iframe>
</body></html>"""


def quiet_window(qtbot, view: PreviewView) -> None:
    """After the load: a full load of another document (anything the first was going to start
    has been started), then 500 ms of event processing: a fixed, bounded window."""
    settle(qtbot, view)
    qtbot.wait(500)


@pytest.mark.parametrize("remote", [False, True], ids=["blocked", "remote-allowed"])
def test_resource_hints_open_no_connection(
    qtbot, view: PreviewView, listener: ConnectionCounter, remote: bool
) -> None:
    origin = f"http://127.0.0.1:{listener.port}"
    if remote:  # hints are stripped either way: a preview never needs one
        with qtbot.waitSignal(view.rendered, timeout=LOAD_TIMEOUT):
            view.show_html("<p>start</p>", keep_scroll=False)
        view.set_remote_content_allowed(True)
    show(qtbot, view, hinted(origin))
    show(qtbot, view, "<p>edited</p>" + hinted(origin), keep_scroll=True)  # in-place path
    quiet_window(qtbot, view)
    assert listener.settled() == []

    # Positive control: the listener does see a browser's connection (remote image allowed).
    view.set_remote_content_allowed(True)
    show(qtbot, view, f'<img src="{origin}/control.gif">')
    qtbot.waitUntil(lambda: len(listener.accepted) > 0, timeout=LOAD_TIMEOUT)


def test_a_sandbox_copy_goes_through_the_same_stripping(
    qtbot, listener: ConnectionCounter, tmp_path: Path
) -> None:
    """The other way a document reaches a web view: a delivered copy opened from the sandbox."""
    from email.message import EmailMessage

    from composer.gui.preview.copy_viewer import CopyViewer

    msg = EmailMessage()
    msg["Subject"] = "hinted"
    msg.set_content("plain")
    msg.add_alternative(hinted(f"http://127.0.0.1:{listener.port}"), subtype="html")
    path = tmp_path / "copy.eml"
    path.write_bytes(msg.as_bytes())
    dialog = CopyViewer(path)
    qtbot.addWidget(dialog)
    assert dialog.view is not None
    with qtbot.waitSignal(dialog.view.rendered, timeout=LOAD_TIMEOUT):
        dialog.show()
    assert probe(qtbot, dialog.view, "document.body.textContent").startswith("hello")
    quiet_window(qtbot, dialog.view)
    assert listener.settled() == []


# --- the stripping itself, without a browser ----------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        '<link rel="preconnect" href="http://h/">',
        '<LINK REL="DNS-PREFETCH" HREF="//h">',
        '<link rel="pre&#x63;onnect" href="http://h/">',
        '<link rel=" stylesheet  preconnect " href="http://h/">',
        '<link/ rel=preconnect href="http://h/">',
        '<link rel="icon preload" as="image" href="http://h/">',
        '<link rel="modulepreload" href="http://h/m.js"><link rel="prerender" href="http://h/">',
        '<meta http-equiv="x-dns-prefetch-control" content="on">',
        '<meta http-equiv="Link" content="<http://h/>; rel=preconnect">',
        '<script type="speculationrules">{"prefetch":[{"urls":["http://h/"]}]}</script>',
        '<iframe srcdoc="<link rel=preconnect href=http://h/>"></iframe>',
        '<object data="data:text/html,<link rel=preconnect href=http://h/>"></object>',
        '<!--> <link rel=preconnect href="http://h/"> -->',  # `<!-->` is a whole comment (HTML5)
        '<!---> <link rel=preconnect href="http://h/"> -->',
        '<p>a<!-- x --!> <link rel=preconnect href="http://h/"> --></p>',
        '<svg><style><img src=x><link rel=preconnect href="http://h/"></style></svg>',
        '<math><style><img src=x><link rel=preconnect href="http://h/"></style></math>',
        '<noscript><link rel=preconnect href="http://h/"></noscript>',
        "<table><link rel=preconnect href='http://h/'><tr><td>x</td></tr></table>",
    ],
)
def test_no_hint_survives_the_stripping(html: str) -> None:
    out = preview_module.strip_for_preview(f"<html><head></head><body><p>x</p>{html}</body>")
    low = out.lower()
    for needle in ("preconnect", "prefetch", "prerender", "preload", "srcdoc", "<script",
                   "<object", "<iframe", "speculation", "http-equiv", "<!--"):  # fmt: skip
        assert needle not in low, (needle, out)
    assert "<link" not in low or 'rel="stylesheet"' in low


def test_stripping_keeps_the_message() -> None:
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<link rel='stylesheet' href='http://h/a.css'><style><!-- p { color: red } --></style>"
        "</head><body><p class='x'>Hello &amp; welcome</p><img src='cid:logo'></body></html>"
    )
    out = preview_module.strip_for_preview(html)
    assert out.startswith("<!DOCTYPE html>")
    assert 'rel="stylesheet"' in out and "<!-- p { color: red } -->" in out  # raw text kept
    assert "<p class=\"x\">Hello &amp; welcome</p>" in out and "cid:logo" in out
    # No doctype invented for a document without one (that would leave quirks mode).
    assert not preview_module.strip_for_preview("<p>x</p>").lower().startswith("<!doctype")
    assert preview_module.strip_for_preview("") == ""


def test_a_document_lxml_cannot_read_is_replaced_by_a_note(monkeypatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("hostile")

    monkeypatch.setattr(preview_module_strip.etree, "fromstring", broken)
    out = preview_module.strip_for_preview('<link rel="preconnect" href="http://h/">')
    assert "preconnect" not in out and "cannot show this message" in out


def test_many_comments_before_the_document_do_not_stall_the_stripping() -> None:
    """The doctype check is a loop, not `(?:<!--.*?-->\\s*)*` (exponential backtracking)."""
    started = time.monotonic()
    out = preview_module.strip_for_preview("<!-- a -->" * 20_000 + "<p>x</p>")
    assert time.monotonic() - started < 2.0
    assert "<!--" not in out and "<p>x</p>" in out


def test_an_element_with_tens_of_thousands_of_attributes_does_not_stall_the_stripping() -> None:
    """Stripping runs on the UI thread; libxml2 compares each attribute with the element's others
    (25,000 on one <p>: seconds, 60,000: over a minute, the window frozen). A note instead."""
    body = "<p " + " ".join(f"a{i}=1" for i in range(25_000)) + ">x</p>"
    started = time.monotonic()
    out = preview_module.strip_for_preview(body)
    assert time.monotonic() - started < 1.0
    assert "cannot show this message" in out and "a24999" not in out


def test_hovering_and_clicking_a_link_opens_no_connection(
    qtbot, view: PreviewView, listener: ConnectionCounter
) -> None:
    """Browsers preconnect on hover or mouse-down; the preview hands the click to the window
    and must not have touched the link's host meanwhile."""
    origin = f"http://127.0.0.1:{listener.port}"
    style = "display:block;position:absolute;left:0;top:0;width:400px;height:300px"
    show(qtbot, view, f"<a href='{origin}/offer' style='{style}'>offer</a>")
    QTest.mouseMove(view.focusProxy(), QPoint(100, 100))
    with qtbot.waitSignal(view.link_clicked, timeout=10_000) as clicked:
        QTest.mouseClick(view.focusProxy(), Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    assert clicked.args == [QUrl(f"{origin}/offer")]
    quiet_window(qtbot, view)
    assert listener.settled() == []
