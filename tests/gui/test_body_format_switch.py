"""Switching the body format together with the body (opening an HTML draft, a model update)
keeps the body: the editor's re-highlighting must not write its old text back."""

from __future__ import annotations

from composer.app.context import Context
from composer.core.draft import BodyFormat, Draft, Recipient
from composer.gui.main_window import MainWindow


def test_an_html_draft_keeps_its_body(qtbot, context: Context, monkeypatch) -> None:
    draft = Draft(from_addr=Recipient("a@example.com"), subject="S", body="<p>kept</p>",
                  body_format=BodyFormat.HTML)  # fmt: skip
    w = MainWindow(context, draft)
    qtbot.addWidget(w)
    monkeypatch.setattr(w.drafts, "confirm_discard", lambda: True)
    assert w.model.draft.body == "<p>kept</p>"
    assert w.body.body.toPlainText() == "<p>kept</p>"


def test_format_and_body_in_one_update(qtbot, context: Context, monkeypatch) -> None:
    w = MainWindow(context)
    qtbot.addWidget(w)
    monkeypatch.setattr(w.drafts, "confirm_discard", lambda: True)
    w.model.update(body="# old markdown")
    w.model.update(body_format=BodyFormat.HTML, body="<p>new</p>")
    assert w.model.draft.body == "<p>new</p>"
    w.model.update(body_format=BodyFormat.MARKDOWN, body="# back")
    assert w.model.draft.body == "# back"
    assert w.body.body.toPlainText() == "# back"
