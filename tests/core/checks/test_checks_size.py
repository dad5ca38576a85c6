"""Family 5: size and images, on crafted messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from support.checks import Run, ids, make_input

from composer.core.checks import Family, ProfileFacts, Severity, run_checks, size
from composer.core.checks.size import TRACKED_LINK_BYTES, tracking_on
from composer.core.draft import Attachment, Options
from composer.core.problems import GMAIL_CLIP_BYTES

Check = Callable[[Family], Run]


def padded(total: int, links: int = 0) -> str:
    """An HTML body of exactly ``total`` bytes with ``links`` short links."""
    head = "<p>" + "".join(f'<a href="https://x.example/{i}">x</a>' for i in range(links))
    tail = "</p>"
    return head + "y" * (total - len(head) - len(tail)) + tail


def test_gmail_clips_over_102_kb(run: Check) -> None:
    found = run(size.check)(padded(GMAIL_CLIP_BYTES + 1))
    assert ids(found) == ["size.gmail-clip"] and found[0].severity == Severity.WARNING
    assert run(size.check)(padded(GMAIL_CLIP_BYTES - 20_000)) == []


def test_clip_counts_bytes_not_characters(run: Check) -> None:
    body = "<p>" + "é" * (GMAIL_CLIP_BYTES // 2 + 10) + "</p>"  # 2 bytes each in UTF-8
    assert len(body) < GMAIL_CLIP_BYTES
    assert ids(run(size.check)(body)) == ["size.gmail-clip"]


def test_tracked_links_can_take_it_over(run: Check) -> None:
    body = padded(GMAIL_CLIP_BYTES - 60 * TRACKED_LINK_BYTES // 2, links=60)
    on = run(size.check)(body, options=Options(click_tracking=True, open_tracking=False))
    assert ids(on) == ["size.gmail-clip-tracking"] and "(60)" in on[0].message
    off = run(size.check)(body, options=Options(click_tracking=False, open_tracking=False))
    assert ids(off) == ["size.gmail-clip-near"] and off[0].severity == Severity.INFO


def test_tracking_defaults_follow_the_relay() -> None:
    smtp = ProfileFacts("sparkpost", "smtp")
    assert tracking_on(None, smtp) is False  # seeds/001: off by default over SMTP
    assert tracking_on(None, ProfileFacts("bird", "smtp")) is False
    assert tracking_on(None, ProfileFacts("custom", "smtp")) is True  # Enterprise: on
    assert tracking_on(None, ProfileFacts("sparkpost", "rest")) is True
    assert tracking_on(True, smtp) is True and tracking_on(False, ProfileFacts("custom")) is False


def test_images_without_dimensions(run: Check) -> None:
    body = '<img src="a.png" alt="">\n<img src="b.png" alt="" width="100">\n'
    body += '<img src="c.png" alt="" width="100" height="50">'
    found = run(size.check)(body)
    assert [(f.id, f.severity, f.where.line) for f in found] == [
        ("size.img-dimensions", Severity.WARNING, 1),
        ("size.img-dimensions", Severity.INFO, 2),
    ]
    assert "width or height" in found[0].message and "no height" in found[1].message


def test_a_large_message_is_widely_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\x00" * 8_000_000)  # base64 makes it ~10.8 MB
    inp = make_input("<p>x</p>", attachments=[Attachment(str(big))])
    assert inp.messages and inp.messages[0].size > 10_000_000
    found = run_checks(inp, families=[size.check])
    assert ids(found) == ["size.message"] and found[0].severity == Severity.WARNING
    assert found[0].where.part == "options"
