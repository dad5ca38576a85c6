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


def test_the_preview_reads_no_more_image_bytes_than_a_message_can_hold(tmp_path) -> None:
    # Five 6 MB images (sparse files: a PNG header, then a hole): 30 MB, over the 20 MB a
    # message can carry. The preview used to read every one of them on every keystroke.
    from composer.core.draft import InlineImage
    from composer.core.problems import MAX_MESSAGE_BYTES

    images = []
    for i in range(5):
        path = tmp_path / f"big{i}.png"
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01")
            f.truncate(6_000_000)
        images.append(InlineImage(str(path), f"big{i}"))
    draft = Draft(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Big",
        body="".join(f'<img src="cid:big{i}">' for i in range(5)),
        body_format=BodyFormat.HTML,
        inline_images=images,
    )
    served = pipeline.preview_images(draft)
    assert 0 < sum(len(data) for _, data in served.values()) <= MAX_MESSAGE_BYTES


def test_removing_styles_for_the_no_style_view_is_linear() -> None:
    # "<style>" never closed: the pattern's lazy .*? ran to the end from every one (20,000 of
    # them, 160 KB: 20 s of the preview's worker on every edit; 40,000: 80 s).
    import time

    for html in ("<style>a" * 20_000, "<style " * 20_000):
        started = time.perf_counter()
        assert pipeline.strip_styles(html) == html
        assert time.perf_counter() - started < 1.0
    html = '<p>a</p><style>x</style ><p>b</p><STYLE type="t">y{}</style><p>c</p><style>z'
    assert pipeline.strip_styles(html) == "<p>a</p><p>b</p><p>c</p><style>z"
