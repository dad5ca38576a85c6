"""The Rendered preview: a hardened QWebEngineView showing a message's HTML (objectName `preview`).

An e-mail body is hostile: by default QtWebEngine fetches tracking pixels and remote CSS, runs
JavaScript and follows `<meta refresh>` (research/reliability.md §6). Four layers, each enough
on its own (tests/gui/test_preview.py proves two of them separately), keep it offline and inert:
0. before any of them, strip.py removes what opens connections without a request (resource
   hints such as `<link rel=preconnect>`: neither the interceptor nor the CSP sees those),
   scripts, frames and comments, and the view loads lxml's serialisation of what is left;
1. a request interceptor on an off-the-record profile, failing CLOSED: only `data:` and our
   scheme pass (plus http/https images, CSS, fonts when remote content is allowed);
2. a Content-Security-Policy response header on the served document;
3. a page refusing every navigation but our own loads; links go out through `link_clicked`;
4. page JavaScript, plugins, local storage and file access off.
Documents come from memory through a `composer-preview:` scheme handler, not setHtml(), which
shows a blank page above 2 MB. Call `register_preview_scheme()` before the QApplication exists.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QUrl, Signal
from PySide6.QtWidgets import QWidget

from composer.gui.keyboard import let_tab_out
from composer.gui.preview.cid import Images, image_for, to_preview_urls
from composer.gui.preview.scheme import SCHEME
from composer.gui.preview.strip import strip_for_preview

try:
    from PySide6.QtWebEngineCore import (
        QWebEngineLoadingInfo,
        QWebEnginePage,
        QWebEngineProfile,
        QWebEngineScript,
        QWebEngineSettings,
        QWebEngineUrlRequestInfo,
        QWebEngineUrlRequestInterceptor,
        QWebEngineUrlRequestJob,
        QWebEngineUrlScheme,
        QWebEngineUrlSchemeHandler,
    )
    from PySide6.QtWebEngineWidgets import QWebEngineView

    _IMPORT_ERROR = ""
except ImportError as exc:  # PySide6-WebEngine is a separate wheel in 6.12, maybe not installed
    _IMPORT_ERROR = str(exc)
    # Stand-ins so that this module (and preview_available) still imports; PreviewView refuses.
    QWebEngineView = QWidget  # type: ignore[misc,assignment]
    QWebEnginePage = QWebEngineUrlRequestInterceptor = QWebEngineUrlSchemeHandler = QObject  # type: ignore[misc,assignment]
else:
    _APP_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld  # runs with page JS off

__all__ = ["MOBILE_WIDTH", "PreviewView", "preview_available"]

log = logging.getLogger(__name__)

MOBILE_WIDTH = 375  # CSS px: the iPhone width most e-mail templates design for
_NO_MAX_WIDTH = 16777215  # QWIDGETSIZE_MAX
# Attributes switched off on the page. getattr() skips any a Qt version lacks (all exist in 6.12).
_OFF_ATTRIBUTES = (
    "JavascriptEnabled", "JavascriptCanOpenWindows", "LocalContentCanAccessRemoteUrls",
    "LocalContentCanAccessFileUrls", "LocalStorageEnabled", "PluginsEnabled",
    "AutoLoadIconsForPage", "NavigateOnDropEnabled", "DnsPrefetchEnabled",
    "HyperlinkAuditingEnabled", "PdfViewerEnabled", "WebGLEnabled", "ScreenCaptureEnabled",
)  # fmt: skip
# Dark-mode simulation: make `prefers-color-scheme` media queries answer "dark" by rewriting
# them (Chromium's ForceDarkMode darkens the paint but still reports "light" to CSS).
_DARK_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.IGNORECASE)
_LIGHT_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.IGNORECASE)


def preview_available() -> tuple[bool, str]:
    """Whether QtWebEngine can start here; if not, a sentence to show instead of the preview."""
    if _IMPORT_ERROR:
        return False, (
            "The rendered preview needs QtWebEngine (the PySide6-WebEngine package), "
            "which is not installed."
        )
    # Chromium exits the whole process when started as root with its sandbox on. The app never
    # disables the sandbox itself: that is for the person (or CI) to decide.
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    sandbox_off = (
        os.environ.get("QTWEBENGINE_DISABLE_SANDBOX", "0") != "0" or "--no-sandbox" in flags
    )
    if getattr(os, "geteuid", lambda: -1)() == 0 and not sandbox_off:  # no geteuid on Windows
        return False, (
            "The rendered preview is off because Composer is running as root, and its "
            "browser engine refuses to run as root. Run Composer as a normal user."
        )
    return True, ""


def _csp(remote: bool) -> str:
    extra = " http: https:" if remote else ""
    return (
        f"default-src 'none'; img-src data: {SCHEME}:{extra}; style-src 'unsafe-inline'{extra}; "
        f"font-src data:{extra}; form-action 'none'"
    )


class _Interceptor(QWebEngineUrlRequestInterceptor):
    """Sees every request before the network stack; blocks all but our document and data:."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.remote_allowed = False
        rt = QWebEngineUrlRequestInfo.ResourceType
        self._remote_types = {rt.ResourceTypeImage, rt.ResourceTypeStylesheet,
                              rt.ResourceTypeFontResource}  # fmt: skip

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        try:
            scheme = info.requestUrl().scheme()
            if scheme in ("data", SCHEME):
                return
            remote = scheme in ("http", "https") and self.remote_allowed
            if remote and info.resourceType() in self._remote_types:
                return
            info.block(True)  # file:, cid:, blob:, ws:, ftp:, … never, remote allowed or not
        except Exception:  # fail CLOSED: an exception escaping here lets the request through
            info.block(True)


class _DocumentHandler(QWebEngineUrlSchemeHandler):
    """Serves the current document from memory, with its CSP as a real response header."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.url = QUrl()
        self.body = b""
        self.csp = _csp(False)
        self.images: Images = {}  # the message's inline images, by cid (cid.py)

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        try:
            image = image_for(job.requestUrl().path(), self.images)
            if image is not None and job.requestMethod() == b"GET":
                self._reply(job, *image)
                return
            if job.requestUrl() != self.url or job.requestMethod() != b"GET":
                job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)  # stale load or a probe
                return
            self._reply(job, b"text/html;charset=utf-8", self.body)
        except Exception:
            log.exception("preview: serving %s failed", job.requestUrl().toString())
            job.fail(QWebEngineUrlRequestJob.Error.RequestFailed)

    def _reply(self, job: QWebEngineUrlRequestJob, ctype: bytes, body: bytes) -> None:
        buffer = QBuffer(job)  # lives as long as the job that reads it
        buffer.setData(body)
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        # The header map is a QMultiMap: each value must be a list, or PySide splits a bytes
        # value into one header per character.
        header = QByteArray(self.csp.encode())
        job.setAdditionalResponseHeaders({QByteArray(b"Content-Security-Policy"): [header]})
        job.reply(ctype, buffer)


class _PreviewPage(QWebEnginePage):
    """Accepts only the view's own load of the current document; links go to `link_clicked`."""

    link_clicked = Signal(QUrl)

    def __init__(self, profile: QWebEngineProfile, parent: QObject, handler: _DocumentHandler):
        super().__init__(profile, parent)
        self._handler = handler

    def acceptNavigationRequest(self, url: QUrl, nav_type: Any, is_main_frame: bool) -> bool:
        try:
            nt = QWebEnginePage.NavigationType
            # Same document, fragment ignored (QUrl.adjusted(RemoveFragment) fails in PySide 6.12)
            own = url.scheme() == SCHEME and url.path() == self._handler.url.path()
            if nav_type == nt.NavigationTypeLinkClicked:
                if own:  # follow an in-page anchor (a newsletter's contents), nothing else
                    return url.hasFragment()
                self.link_clicked.emit(QUrl(url))  # the window asks, then opens a browser
                return False
            # Typed is what QWebEnginePage.load() reports. Meta refresh (Redirect/Other), form
            # submits, iframes (not main frame), back/forward: all refused.
            return is_main_frame and own and nav_type == nt.NavigationTypeTyped
        except Exception:  # refuse on any error, like the interceptor
            log.exception("preview: navigation check failed")
            return False

    def createWindow(self, _type: Any) -> QWebEnginePage:
        # A target=_blank link asks for a new window. Hand Chromium a page that never loads
        # anything: it passes the link's URL to link_clicked and refuses the navigation.
        return _LinkCatcher(self)


class _LinkCatcher(QWebEnginePage):
    def __init__(self, owner: _PreviewPage) -> None:
        super().__init__(owner.profile(), owner)  # a child of the page: gone before the profile
        self._owner = owner

    def acceptNavigationRequest(self, url: QUrl, nav_type: Any, is_main_frame: bool) -> bool:
        if url.scheme() in ("http", "https", "mailto"):  # not view-source: from the menu
            self._owner.link_clicked.emit(QUrl(url))
        self.deleteLater()
        return False


class PreviewView(QWebEngineView):
    """The Rendered preview. Emits `rendered()` each time a document has finished loading."""

    link_clicked = Signal(QUrl)  # a person clicked a link: confirm, then QDesktopServices
    rendered = Signal()

    def __init__(self, parent: QWidget | None) -> None:
        if _IMPORT_ERROR:
            raise RuntimeError(f"QtWebEngine is not available: {_IMPORT_ERROR}")
        super().__init__(parent)
        self.setObjectName("preview")
        if not QWebEngineUrlScheme.schemeByName(SCHEME.encode()).name():
            log.error("preview: register_preview_scheme() was not called before QApplication")
        profile = QWebEngineProfile()  # no storage name: off the record, nothing on disk
        self._interceptor = _Interceptor(profile)
        profile.setUrlRequestInterceptor(self._interceptor)
        self._handler = _DocumentHandler(profile)
        profile.installUrlSchemeHandler(SCHEME.encode(), self._handler)
        self._page = _PreviewPage(profile, self, self._handler)
        # Parent the profile AFTER the page: Qt deletes children in order, and a profile that
        # goes before its pages warns "Expect troubles!" (and may crash).
        profile.setParent(self)
        # The profile's settings are what the page's fall back to (DNS prefetch is a profile
        # setting in Chromium), the page's its own. profile.settings() is safe while `profile`
        # is referenced; on a temporary profile it segfaults (§6).
        for settings in (profile.settings(), self._page.settings()):
            for name in _OFF_ATTRIBUTES:
                attribute = getattr(QWebEngineSettings.WebAttribute, name, None)
                if attribute is not None:  # skip attributes this Qt version does not have
                    settings.setAttribute(attribute, False)
        self.setPage(self._page)
        self._page.link_clicked.connect(self.link_clicked)
        self._page.loadingChanged.connect(self._on_loading_changed)
        self.last_load_ok = False
        self._source = ""  # the document as given, to recognise an unchanged one cheaply
        self._html = ""  # what is loaded: the source with hints and scripts stripped
        self._dark = False
        self._generation = 0  # one URL per full load, so stale loads and jobs are recognisable
        self._write_token = 0  # the latest in-place replacement; older callbacks are dropped
        self._loading = False
        self._write_pending = False  # an in-place replacement has not answered yet
        self._restore_scroll: tuple[float, float] | None = None
        self._images_version = 0
        # Chromium keeps Tab inside the page (its focus proxy takes every key): give it back.
        self.tab_out = let_tab_out(self)

    @property
    def document_url(self) -> QUrl:
        """The URL of the current document (`composer-preview:document/N`)."""
        return QUrl(self._handler.url)

    def show_html(
        self, html: str, *, keep_scroll: bool = True, images: Images | None = None
    ) -> None:
        """Show `html`. With keep_scroll (the same message re-rendered after an edit) a loaded
        document is replaced in place, keeping the scroll position; pass False for a new message.
        `images`: the message's inline images by cid, shown where it says `cid:NAME`.
        """
        shown = self.last_load_ok and not self._loading and self._page.url() == self._handler.url
        images = dict(images or {})
        same = html == self._source and images == self._handler.images
        if keep_scroll and shown and same and not self._write_pending:
            self.rendered.emit()  # the edit did not change the document: nothing to redo
            return
        self._source = html
        if images != self._handler.images:
            self._handler.images = images
            self._images_version += 1  # new URLs: Chromium's cache cannot show the old image
        # Every document, whatever it comes from (the draft, a sandbox copy), is stripped here.
        self._html = strip_for_preview(to_preview_urls(html, self._images_version))
        if keep_scroll and shown:
            self._replace_in_place()
        else:
            self._load(keep_scroll=False)

    def set_remote_content_allowed(self, allowed: bool) -> None:
        """Per message: the window resets this to False when it shows another message."""
        if allowed != self._interceptor.remote_allowed:
            self._interceptor.remote_allowed = allowed
            self._reload()

    def set_dark_mode(self, dark: bool) -> None:
        """Approximate how dark-mode mail clients show the message: `prefers-color-scheme: dark`
        rules apply (Apple Mail, iOS), then Chromium's ForceDarkMode darkens what is still
        light (the automatic inversion of Gmail and Outlook apps; computed styles unchanged).
        """
        if dark != self._dark:
            self._dark = dark
            force_dark = getattr(QWebEngineSettings.WebAttribute, "ForceDarkMode", None)
            if force_dark is not None:  # Qt 6.7+
                self._page.settings().setAttribute(force_dark, dark)
            self._reload()

    def set_width(self, px: int | None) -> None:
        """None = the full width; e.g. MOBILE_WIDTH = a phone. The widget itself is narrowed, so
        the CSS viewport really is `px` wide and `@media (max-width: …)` rules fire at zoom 1
        (wrapping would not trigger them, zooming would magnify). Lay the view out centred."""
        self.setMaximumWidth(px if px and px > 0 else _NO_MAX_WIDTH)
        self.updateGeometry()

    def _document(self) -> str:
        if not self._dark:
            return self._html
        html = _DARK_QUERY.sub("(min-width: 0px)", self._html)  # always true
        return _LIGHT_QUERY.sub("(min-width: 100000px)", html)  # never true

    def _reload(self) -> None:
        if not self._handler.url.isEmpty():
            self._load(keep_scroll=True)

    def _load(self, *, keep_scroll: bool) -> None:
        position = self._page.scrollPosition()
        self._restore_scroll = (position.x(), position.y()) if keep_scroll else None
        self._generation += 1
        self._write_token += 1  # a pending in-place replacement must not report this load
        self._write_pending = False
        self._handler.url = QUrl(f"{SCHEME}:document/{self._generation}")
        self._handler.body = self._document().encode("utf-8", "replace")
        self._handler.csp = _csp(self._interceptor.remote_allowed)
        self._loading = True
        self._page.load(self._handler.url)

    def _replace_in_place(self) -> None:
        # Rewrite the DOM from the application's script world, which runs with page JavaScript
        # off: cheaper than a new load, no flash, and the scroll position stays. The document
        # keeps its origin and CSP header; the interceptor still sees every request it makes.
        document = self._document()
        self._handler.body = document.encode("utf-8", "replace")  # a reload shows it too
        self._write_token += 1
        self._write_pending = True
        token = self._write_token
        script = f"document.open();document.write({json.dumps(document)});document.close();{token}"
        self._page.runJavaScript(script, _APP_WORLD, lambda result: self._replaced(token, result))

    def _replaced(self, token: int, result: object) -> None:
        if token != self._write_token or not shiboken6.isValid(self):
            return  # a newer document superseded this one, or the view is gone
        self._write_pending = False
        if result == token:
            self.last_load_ok = True
            self.rendered.emit()
        else:  # the page went away or refused the script: fall back to a full load
            self._load(keep_scroll=True)

    def _on_loading_changed(self, info: QWebEngineLoadingInfo) -> None:
        if info.url() != self._handler.url:
            return  # a superseded load or a refused navigation
        status = info.status()
        if status == QWebEngineLoadingInfo.LoadStatus.LoadStartedStatus:
            self._loading = True
            return
        self._loading = False
        self.last_load_ok = status == QWebEngineLoadingInfo.LoadStatus.LoadSucceededStatus
        if not self.last_load_ok:
            log.warning("preview: loading failed: %s", info.errorString())
            return
        if self._restore_scroll is not None:  # after a reload (remote content, dark mode)
            x, y = self._restore_scroll
            self._restore_scroll = None
            self._page.runJavaScript(f"scrollTo({x}, {y})", _APP_WORLD)
        self.rendered.emit()
