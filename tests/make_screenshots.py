"""Screenshots of the real window for the README, taken under Xvfb.

    for size in 1366x768 1440x900; do
        xvfb-run -a -s "-screen 0 ${size}x24" \
            .venv/bin/python tests/make_screenshots.py resources/screenshots
    done

Fills a draft as a person would have it (a Markdown newsletter, cc and bcc, relay options),
waits for the preview to catch up, and grabs the window from the X server (so the web view's
pixels are included) with the Rendered, Raw message and Recipients tabs in front (on a screen
at least 1440 wide). Then, at the screen's own size (the window as large as the screen allows,
less a title bar): a new window, a long Markdown message being written, a real template from
/work/shared/templates, and the window after a send to the built-in sandbox relay, named
``<what>-<screen width>x<screen height>.png``. Every PNG is saved with a 256-colour palette
(dithered), which keeps a full-window shot under 150 KB. Then sends
two messages through the local relay (a bounce.example.com and a defer.example.com recipient
among them) and grabs the Send history once it shows what became of each recipient.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("COMPOSER_HOME", tempfile.mkdtemp(prefix="composer-shots-"))
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")  # screenshots only, run as root here
os.environ.setdefault("COMPOSER_SANDBOX_DEFER", "600")  # the deferred recipient stays "delayed"

from composer.app.context import Context
from composer.gui.preview.scheme import register_preview_scheme

register_preview_scheme()

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
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


TEMPLATES = Path(__file__).resolve().parents[2] / "shared" / "templates"
TEMPLATE = "02_postmark_basic-full_example.html"

LONG = BODY + "".join(
    f"""
## {title}

{text}

- **{title}**: from {price}, while stocks last
- Free returns for 60 days
- Questions? Reply to this message: a person reads every one.
"""
    for title, price, text in [
        ("Garden", "€12", "Seeds, tools and planters for the first warm weekend of the year."),
        ("Kitchen", "€9", "Cast iron, linen towels and the knives our customers keep asking for."),
        ("Outdoor", "€25", "Tents and chairs for long evenings, at the best prices of the season."),
    ]
)


def save(app: QApplication, window: MainWindow, path: Path) -> None:
    wait(1500)  # let the web view paint: nothing to wait on for pixels reaching X
    image = app.primaryScreen().grabWindow(window.winId()).toImage()
    small = image.convertToFormat(
        QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.ThresholdDither
    )
    small.save(str(path), "PNG", 9)
    print(path, f"{path.stat().st_size // 1024} KB")


def caught_up(window: MainWindow) -> bool:
    return window.schedule.generation == window.model.generation


def readme_shots(app: QApplication, out: Path) -> None:
    """The three preview tabs, as the README has shown them since the first release."""
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
        ),
    )
    window.resize(1400, 860)
    window.show()
    window.drawer.open("recipients")
    wait_until(lambda: caught_up(window))
    shots = [
        ("rendered", window.preview.web),
        ("raw", window.preview.raw),
        ("recipients", window.preview.copies),
    ]
    for name, tab in shots:
        if tab is None:
            continue
        window.preview.tabs.setCurrentWidget(tab)
        save(app, window, out / f"window-{name}.png")
    _checks_shot(app, window, out)
    inline_image_shot(app, window, out)
    gallery_shot(app, window, out)
    window.drawer.open("recipients", False)  # the next window starts folded, as a new one does
    history_shot(app, window, out)
    window.model.mark_saved()
    window.close()


def day_shots(app: QApplication, out: Path) -> None:
    """New window, writing, a real template, after a send: at this screen's size."""
    screen = app.primaryScreen()
    size = f"{screen.size().width()}x{screen.size().height()}"
    window = MainWindow(Context.from_environment())
    free = screen.availableGeometry()
    window.resize(free.width(), free.height() - 40)  # less a title bar, as on a desktop
    window.show()
    wait_until(lambda: window.preview.web is not None and caught_up(window))
    save(app, window, out / f"new-{size}.png")

    window.header.from_field.setFocus()
    QTest.keyClicks(window.header.from_field, "Example Shop <news@shop.example.com>")
    QTest.keyClicks(window.header.to_field, "bob@example.com, Cy Lee <cy@example.com>")
    QTest.keyClicks(window.header.subject, "Spring sale: 30% off everything")
    window.body.body.setFocus()
    window.body.body.setPlainText(LONG)
    window.body.body.moveCursor(window.body.body.textCursor().MoveOperation.End)
    for line in ("", "See you soon,", "Ann"):
        QTest.keyClick(window.body.body, Qt.Key.Key_Return)
        QTest.keyClicks(window.body.body, line)
    wait_until(lambda: caught_up(window))
    save(app, window, out / f"markdown-{size}.png")

    template = TEMPLATES / TEMPLATE
    if template.is_file():
        window.body.format.setCurrentIndex(1)  # HTML
        window.body.body.setPlainText(template.read_text(encoding="utf-8"))
        window.model.update(subject="Your receipt", campaign_id="receipts", tags=["receipt"])
        window.drawer.open("options")
        wait_until(lambda: caught_up(window))
        save(app, window, out / f"template-{size}.png")
        window.drawer.open("options", False)

    wait_until(lambda: window.send_button.isEnabled(), 30_000)
    done: list[object] = []
    window.send_controller.finished.connect(done.append)
    window.send_controller.failed.connect(done.append)
    QTest.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: bool(done), 60_000)
    wait_until(lambda: caught_up(window))
    save(app, window, out / f"sent-{size}.png")
    window.model.mark_saved()
    window.close()


def main(out_dir: str) -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    if app.primaryScreen().size().width() >= 1440:
        readme_shots(app, out)
    day_shots(app, out)
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
    window.model.mark_saved()  # the shots before edited the draft: no "save changes?" box
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


def history_shot(app: QApplication, window: MainWindow, out: Path) -> None:
    """Two real sends through the local relay, then the Send history once it has asked."""
    from composer.app.deliver import deliver
    from composer.core.build import build_message
    from composer.gui.dialogs.history import HistoryDialog
    from composer.transport.profiles.store import Profile

    context = window.context
    profile = Profile.new("sandbox", "local")
    context.profiles().add(profile, replace=True)
    sends = [
        ("Order 1042 has shipped", ["bob@example.com", "cy@example.com"]),
        ("Spring sale: 30% off everything",
         ["bob@example.com", "gone@bounce.example.com", "slow@defer.example.com"]),
    ]  # fmt: skip
    for subject, rcpts in sends:
        draft = Draft(from_addr=Recipient("news@shop.example.com", "Example Shop"),
                      to=[Recipient(r) for r in rcpts], subject=subject, body="Hello")  # fmt: skip
        deliver(context, context.outbox(), profile, new=[build_message(draft)], subject=subject)
    dialog = HistoryDialog(context, window)
    dialog.resize(min(1340, window.width()), 440)
    dialog.show()
    wait_until(lambda: "bounced" in (dialog.table.item(0, dialog.DELIVERY) or dialog).text()
               if dialog.table.rowCount() else False)  # fmt: skip
    wait_until(lambda: not dialog.poller.asking and dialog.tasks.pending == 0)
    wait(800)
    pixmap = app.primaryScreen().grabWindow(dialog.winId())
    path = out / "history-delivery.png"
    pixmap.save(str(path))
    print(path)
    dialog.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "resources/screenshots"))
