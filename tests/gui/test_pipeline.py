"""The preview validates and renders a draft once (issue 13: it validated and rendered twice, and
with local inlining premailer — most of a preview's cost — ran twice per keystroke)."""

from __future__ import annotations

import pytest

from composer.core import render as render_module
from composer.core.draft import BodyFormat, Draft, Recipient
from composer.gui.preview import pipeline


def test_local_inlining_runs_once_per_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = render_module.inline_css

    def counted(html: str, engine: str) -> str:  # the real inliner, counted
        calls.append(engine)
        return real(html, engine)

    monkeypatch.setattr(render_module, "inline_css", counted)
    draft = Draft(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Once",
        body="<html><head><style>p { color: red }</style></head><body><p>Hi</p></body></html>",
        body_format=BodyFormat.HTML,
        inline_locally=True,
    )
    result = pipeline.compute(draft, generation=1)
    assert result.message is not None, result.note
    assert b"color: red" in result.message.data or b"color:red" in result.message.data
    assert len(calls) == 1
