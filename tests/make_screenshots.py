"""Screenshots of the real window for the README, taken under Xvfb.

    xvfb-run -a -s "-screen 0 1440x900x24" \
        .venv/bin/python tests/make_screenshots.py resources/screenshots

Fills a draft as a person would have it (a Markdown newsletter, cc and bcc, relay options),
waits for the preview to catch up, and grabs the window from the X server (so the web view's
pixels are included) with the Rendered, Raw message and Recipients tabs in front.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("COMPOSER_HOME", tempfile.mkdtemp(prefix="composer-shots-"))
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")  # screenshots only, run as root here

from composer.app.context import Context
from composer.gui.preview.scheme import register_preview_scheme

register_preview_scheme()

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from composer.core.draft import Draft, Options, Recipient  # noqa: E402
from composer.gui.main_window import MainWindow  # noqa: E402

BODY = """# Spring sale: 30% off everything

Hi there,

Our **spring sale** starts today. Everything in the shop is 30% off until Sunday,
and delivery is free on orders over €50.

| Collection | Discount |
|---|---|
| Garden | 30% |
| Kitchen | 30% |
| Outdoor | 40% |

[Shop the sale](https://shop.example.com/spring)

Thanks for being with us,
The Example team
"""


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(predicate, timeout_ms: int = 30_000) -> None:
    waited = 0
    while not predicate() and waited < timeout_ms:
        wait(50)
        waited += 50


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    window = MainWindow(
        Context.from_environment(),
        Draft(
            from_addr=Recipient("news@shop.example.com", "Example Shop"),
            to=[Recipient("bob@example.com", "Bob")],
            subject="Spring sale: 30% off everything",
            body=BODY,
            cc=[Recipient("cy@example.com", "Cy Lee"), Recipient("dee@example.com")],
            bcc=[Recipient("audit@example.com")],
            archive=[Recipient("archive@example.com")],
            campaign_id="spring-sale-2026",
            tags=["sale", "spring"],
            metadata={"segment": "loyal", "customer_id": 42},
            options=Options(open_tracking=True, click_tracking=True, ip_pool="sp_shared"),
        )
    )
    free = window.screen().availableGeometry()  # as the person's screen allows (1366×768 …)
    window.resize(min(1400, free.width()), min(860, free.height()))
    window.show()
    wait_until(lambda: window.schedule.generation == window.model.generation)
    shots = [
        ("rendered", window.preview.web),
        ("raw", window.preview.raw),
        ("recipients", window.preview.copies),
    ]
    for name, tab in shots:
        if tab is None:
            continue
        window.preview.tabs.setCurrentWidget(tab)
        wait(1500)  # let the web view paint: nothing to wait on for pixels reaching X
        screen = app.primaryScreen()
        pixmap = screen.grabWindow(window.winId())
        path = out / f"window-{name}.png"
        pixmap.save(str(path))
        print(path)
    _checks_shot(app, window, out)
    inline_image_shot(app, window, out)
    gallery_shot(app, window, out)
    window.model.mark_saved()
    window.close()
    return 0


def _checks_shot(app: QApplication, window: MainWindow, out: Path) -> None:
    """The Checks tab on a real template (shared/templates, beside the repository)."""
    from composer.core.draft import BodyFormat

    here = Path(__file__).resolve()
    found = [p / "shared" / "templates" for p in here.parents if (p / "shared/templates").is_dir()]
    if not found:
        print("no shared/templates beside the repository: no Checks tab shot", file=sys.stderr)
        return
    html = (found[0] / "01_leemunroe_email.html").read_text(encoding="utf-8")
    window.model.update(body_format=BodyFormat.HTML, body=html, subject="Your receipt {{name}}",
                        options=Options(inline_css=True))  # fmt: skip
    wait_until(lambda: window.schedule.generation == window.model.generation
               and bool(window.checks_tab.findings))  # fmt: skip
    window.preview.tabs.setCurrentWidget(window.checks_tab)
    tree = window.checks_tab.tree
    tree.setCurrentItem(tree.topLevelItem(0).child(0))  # its whole text below the list
    wait(800)
    path = out / "window-checks.png"
    app.primaryScreen().grabWindow(window.winId()).save(str(path))
    print(path)
LOGO_BODY = """<img src="cid:acme-logo.png" alt="Acme Garden" width="240" height="80" \
style="display:block; max-width:100%; height:auto; border:0">

# Your spring order has shipped

Hi Bob, the logo above is an inline image: it travels in the message itself, as a
multipart/related part with its own Content-ID, so it shows without remote content.
"""


def inline_image_shot(app: QApplication, window: MainWindow, out: Path) -> None:
    """A cid logo in the Rendered preview: the logo is drawn here with Qt and saved as PNG."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    from composer.core.draft import InlineImage

    logo = QImage(480, 160, QImage.Format.Format_ARGB32)
    logo.fill(QColor("#ffffff"))
    p = QPainter(logo)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor("#2e7d32"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(8, 8, 464, 144), 28, 28)
    p.setPen(QColor("#ffffff"))
    p.setFont(QFont("DejaVu Sans", 40, QFont.Weight.Bold))
    p.drawText(QRectF(8, 8, 464, 144), Qt.AlignmentFlag.AlignCenter, "ACME Garden")
    p.end()
    path = Path(os.environ["COMPOSER_HOME"]) / "acme-logo.png"
    logo.save(str(path))
    window.model.update(
        subject="Your spring order has shipped",
        body=LOGO_BODY,
        inline_images=[InlineImage(str(path), "acme-logo.png")],
    )
    window.preview.tabs.setCurrentWidget(window.preview.web)
    wait_until(lambda: window.schedule.generation == window.model.generation)
    wait(2000)
    shot = out / "window-inline-image.png"
    app.primaryScreen().grabWindow(window.winId()).save(str(shot))
    print(shot)


def gallery_shot(app: QApplication, window: MainWindow, out: Path) -> None:
    """File → New from template…, the newsletter selected and rendered in the gallery."""
    window.templates.new_from_template()
    gallery = window.templates.gallery
    if gallery is None:
        return
    wait_until(lambda: gallery.list.count() >= 6)
    keys = [gallery.list.item(i).data(0x0100).key for i in range(gallery.list.count())]
    if gallery.view is not None:
        rendered: list[bool] = []
        gallery.view.rendered.connect(lambda: rendered.append(True))
        gallery.list.setCurrentRow(keys.index("newsletter"))
        wait_until(lambda: bool(rendered))
    wait(1500)  # let the web view paint
    path = out / "template-gallery.png"
    app.primaryScreen().grabWindow(gallery.winId()).save(str(path))
    print(path)
    gallery.reject()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "resources/screenshots"))
