"""Screenshots of the real window for the README, taken under Xvfb.

    xvfb-run -a -s "-screen 0 1440x900x24" \
        .venv/bin/python tests/make_screenshots.py resources/screenshots

Fills a draft as a person would have it (a Markdown newsletter, cc and bcc, relay options),
waits for the preview to catch up, and grabs the window from the X server (so the web view's
pixels are included) with the Rendered, Raw message and Recipients tabs in front. Then sends
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
    history_shot(app, window, out)
    window.model.mark_saved()
    window.close()
    return 0


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
