"""Issue 15 item 8: every relay option says what it does at the relay and its default for the
chosen profile (tracking is ON by default for Enterprise, OFF for SparkPost and Bird)."""

from __future__ import annotations

from PySide6.QtWidgets import QToolButton, QWidget
from support.gui import WAIT, main_window

from composer.gui.option_help import option_tooltips
from composer.transport.profiles.store import Profile


def _option_widgets(w) -> dict[str, QWidget]:
    o = w.options
    found: dict[str, QWidget] = dict(o.checks)
    found.update(campaign_id=o.campaign_field, tags=o.tags_field, metadata=o.metadata.table,
                 ip_pool=o.ip_pool_field, inline_engine=o.inline_engine)  # fmt: skip
    return found


def test_every_option_has_a_tooltip_with_this_profiles_default(context, qtbot, monkeypatch):
    store = context.profiles()
    store.add(Profile.new("ent", "custom", host="smtp.acme.example"))
    store.add(Profile.new("sp", "sparkpost"))
    store.add(Profile.new("bird", "bird", workspace="ws-1"))
    store.add(Profile.new("api", "sparkpost", api="rest"))
    store.set_default("ent")
    with main_window(qtbot, monkeypatch, context) as w:
        tracking = w.options.checks["open_tracking"]
        qtbot.waitUntil(lambda: "ON by default for Enterprise" in tracking.toolTip(), timeout=WAIT)
        widgets = _option_widgets(w)
        assert set(widgets) >= {"open_tracking", "click_tracking", "transactional", "sandbox",
                                "skip_suppression", "inline_css", "inline_locally"}  # fmt: skip
        for key, widget in widgets.items():
            assert widget.toolTip().strip(), f"{key} has no tooltip"
        assert "ON by default for Enterprise" in w.options.checks["click_tracking"].toolTip()
        # the folded panel's summary says what "account default" means for this profile
        summary = w.findChild(QToolButton, "optionsToggle")
        qtbot.waitUntil(lambda: "tracking: account default (on)" in summary.text(), timeout=WAIT)

        w.header.profile.setCurrentText("sp")
        qtbot.waitUntil(lambda: "OFF by default for SparkPost" in tracking.toolTip(), timeout=WAIT)
        qtbot.waitUntil(lambda: "tracking: account default (off)" in summary.text(), timeout=WAIT)
        assert "sparkpostbox.com" in w.options.checks["sandbox"].toolTip()
        w.header.profile.setCurrentText("bird")
        qtbot.waitUntil(lambda: "OFF by default for Bird" in tracking.toolTip(), timeout=WAIT)
        assert "birdemailbox.com" in w.options.checks["sandbox"].toolTip()
        # the REST API tracks by default where SMTP does not: the window says which applies
        w.header.profile.setCurrentText("api")
        qtbot.waitUntil(lambda: "ON by default for SparkPost over the REST" in tracking.toolTip(),
                        timeout=WAIT)  # fmt: skip


def test_the_facts_differ_by_provider() -> None:
    ent, sp = option_tooltips("custom"), option_tooltips("sparkpost")
    assert ent["open_tracking"] != sp["open_tracking"]
    assert all(text.strip() for text in {**ent, **sp}.values())
