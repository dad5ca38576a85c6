"""Inline (cid) images: the multipart/related tree parsed back with the email package, the
header readers, the checks (by bytes, not names), and the draft file round trip."""

from __future__ import annotations

import email
import os
from email import policy
from pathlib import Path

import pytest
from support.drafts import draft
from support.images import gif_1x1, jpeg_header, png, webp_header

from composer.core.build import build_message
from composer.core.draft import (
    Attachment,
    BodyFormat,
    InlineImage,
    draft_from_json,
    draft_to_json,
)
from composer.core.errors import InvalidDraft
from composer.core.images import image_info
from composer.core.inline import inline_css
from composer.core.related import (
    InlineImageError,
    cid_for,
    cid_problem,
    cid_references,
    read_image_info,
)
from composer.core.render import render
from composer.core.validate import validate

HTML = (
    "<html><head><style>img{border:0}</style></head><body><p>Hi</p>"
    '<img src="cid:logo" alt="Logo" width="3" height="2">'
    '<table><tr><td style="background:url(cid:banner.gif)">x</td></tr></table></body></html>'
)


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


@pytest.fixture
def two_images(tmp_path: Path) -> list[InlineImage]:
    (tmp_path / "logo.png").write_bytes(png(3, 2))
    (tmp_path / "banner.gif").write_bytes(gif_1x1())
    return [
        InlineImage(str(tmp_path / "logo.png"), "logo"),
        InlineImage(str(tmp_path / "banner.gif"), "banner.gif"),
    ]


def html_draft(images: list[InlineImage], body: str = HTML, **kw: object):
    return draft(body=body, body_format=BodyFormat.HTML, inline_images=images, **kw)


def test_two_images_make_a_related_part_inside_the_alternative(two_images) -> None:
    msg = parse(build_message(html_draft(two_images, amp_html="<html amp4email></html>")).data)
    assert msg.get_content_type() == "multipart/alternative"
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == [
        "text/plain",
        "text/x-amp-html",
        "multipart/related",  # last: the part clients prefer
    ]
    related = parts[2]
    assert related.get_param("type") == "text/html"
    inner = related.get_payload()
    assert [p.get_content_type() for p in inner] == ["text/html", "image/png", "image/gif"]
    assert 'src="cid:logo"' in inner[0].get_content()
    assert [p["Content-ID"] for p in inner[1:]] == ["<logo>", "<banner.gif>"]
    assert [p.get_content_disposition() for p in inner[1:]] == ["inline", "inline"]
    assert [p.get_filename() for p in inner[1:]] == ["logo.png", "banner.gif"]
    assert inner[1].get_content() == png(3, 2)
    assert inner[2].get_content() == gif_1x1()


def test_attachments_wrap_the_alternative_with_its_related_part(two_images, tmp_path) -> None:
    (tmp_path / "terms.pdf").write_bytes(b"%PDF-1.4 terms")
    d = html_draft(two_images, attachments=[Attachment(str(tmp_path / "terms.pdf"))])
    msg = parse(build_message(d).data)
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_payload()[-1].get_content_type() == "multipart/related"
    assert attachment.get_filename() == "terms.pdf"


def test_markdown_image_syntax_references_a_cid(two_images) -> None:
    body = "# News\n\n![Our logo](cid:logo)\n\n![](cid:banner.gif)\n"
    d = draft(body=body, inline_images=two_images)
    assert [p for p in validate(d) if p.is_error] == []
    html = render(d).html or ""
    assert 'src="cid:logo"' in html and 'alt="Our logo"' in html
    msg = parse(build_message(d).data)
    assert msg.get_payload()[-1].get_content_type() == "multipart/related"


@pytest.mark.parametrize("engine", ["premailer", "css-inline"])
def test_css_inlining_leaves_cid_urls_alone(engine: str) -> None:
    out = inline_css(HTML, engine)
    assert 'src="cid:logo"' in out
    assert "url(cid:banner.gif)" in out.replace("'", "").replace('"', "")


def test_inline_locally_send_keeps_the_reference(two_images) -> None:
    msg = parse(build_message(html_draft(two_images, inline_locally=True)).data)
    html = msg.get_payload()[-1].get_payload()[0].get_content()
    assert 'src="cid:logo"' in html


# --- the checks ----------------------------------------------------------------------------


def fields(d) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in validate(d):
        out.setdefault(p.field, []).append(f"{p.severity.value}: {p.message}")
    return out


def test_a_cid_with_no_image_is_an_error_on_the_body(two_images) -> None:
    found = fields(html_draft(two_images[:1]))
    assert any("cid:banner.gif" in m and m.startswith("error") for m in found["body"])


def test_an_unreferenced_image_is_a_warning_naming_it(two_images, tmp_path) -> None:
    (tmp_path / "spare.png").write_bytes(png(1, 1))
    images = [*two_images, InlineImage(str(tmp_path / "spare.png"), "spare")]
    found = fields(html_draft(images))
    assert found["inline_images[2]"] == [
        'warning: is not used in the body (no <img src="cid:spare">); most clients would show '
        "it as an attachment"
    ]
    assert all(not m.startswith("error") for ms in found.values() for m in ms)


def test_a_file_that_is_not_an_image_is_refused_by_its_bytes(tmp_path) -> None:
    fake = tmp_path / "logo.png"
    fake.write_bytes(b"%PDF-1.4 not an image at all")
    d = html_draft([InlineImage(str(fake), "logo")], body='<img src="cid:logo">')
    (msg,) = fields(d)["inline_images[0]"]
    assert msg.startswith("error:") and "not a PNG, JPEG, GIF or WebP image" in msg
    with pytest.raises(InvalidDraft):
        build_message(d)


def test_a_missing_file_is_named(tmp_path) -> None:
    d = html_draft([InlineImage(str(tmp_path / "gone.png"), "logo")], body='<img src="cid:logo">')
    assert fields(d)["inline_images[0]"] == [f"error: file not found: {tmp_path / 'gone.png'}"]


def test_a_system_file_is_refused(tmp_path) -> None:
    d = html_draft([InlineImage("/proc/self/environ", "logo")], body='<img src="cid:logo">')
    (msg,) = fields(d)["inline_images[0]"]
    assert "system file under /proc" in msg


@pytest.mark.parametrize(
    "cid",
    [
        *("a\r\nBcc: x@example.com", 'lo"go', "my logo", "<logo>", "", "x" * 101, "a@b@c"),
        # Content-ID <..> and <@> are not message ids, and the image's file name (the cid)
        # would be ".." or "." for a client saving it.
        *(".", "..", "@", "a@", "@b", "..@.."),
    ],
)
def test_hostile_cid_names_are_errors(tmp_path, cid: str) -> None:
    (tmp_path / "logo.png").write_bytes(png(1, 1))
    d = html_draft([InlineImage(str(tmp_path / "logo.png"), cid)], body="<p>no images</p>")
    assert any(m.startswith("error: the content id") for m in fields(d)["inline_images[0]"])
    with pytest.raises(InvalidDraft):
        build_message(d)


def test_the_same_cid_twice_is_an_error(tmp_path) -> None:
    (tmp_path / "a.png").write_bytes(png(1, 1))
    images = [InlineImage(str(tmp_path / "a.png"), "logo")] * 2
    found = fields(html_draft(images, body='<img src="cid:logo">'))
    assert found["inline_images[1]"] == ["error: the content id 'logo' is used twice"]


def test_inline_images_need_an_html_body(two_images) -> None:
    d = draft(body="plain", body_format=BodyFormat.TEXT, inline_images=two_images)
    assert any("need an HTML or Markdown body" in m for m in fields(d)["inline_images"])


def test_over_one_mb_of_images_is_a_warning(tmp_path) -> None:
    big = tmp_path / "photo.png"
    big.write_bytes(png(1, 1) + b"\x00" * 1_100_000)  # trailing bytes: still a PNG by its head
    d = html_draft([InlineImage(str(big), "photo")], body='<img src="cid:photo">')
    found = fields(d)
    assert any(
        m.startswith("warning: the inline images are 1.1 MB") for m in found["inline_images"]
    )
    assert build_message(d).size > 1_400_000  # a warning never blocks


def test_a_huge_image_counts_against_the_message_limit(tmp_path) -> None:
    huge = tmp_path / "huge.png"
    with huge.open("wb") as f:  # sparse: 16 MB on paper, nothing on disk
        f.write(png(1, 1))
        f.truncate(16_000_000)
    d = html_draft([InlineImage(str(huge), "huge")], body='<img src="cid:huge">')
    problems = [p for p in validate(d) if p.is_error]
    assert [p.field for p in problems] == ["inline_images"]  # what makes the message large
    assert "the limit is 20.0 MB" in problems[0].message
    with pytest.raises(InvalidDraft):
        build_message(d)


# --- names, references, headers ------------------------------------------------------------


def test_cid_for_makes_safe_unique_names() -> None:
    assert cid_for("/x/Company Logo.png", set()) == "Company-Logo.png"
    assert cid_for("/y/Company Logo.png", {"company-logo.png"}) == "Company-Logo-2.png"
    assert cid_for("/z/\r\n\"'.png", set()) == "png"
    assert cid_problem(cid_for("/z/äöü <x>.jpg", set())) is None


def test_cid_references_in_html_and_css() -> None:
    assert cid_references(HTML) == ["logo", "banner.gif"]
    assert cid_references("<img src='CID:a'><img src=cid:b>") == ["a", "b"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (png(640, 120), ("image/png", 640, 120)),
        (gif_1x1(), ("image/gif", 1, 1)),
        (jpeg_header(800, 600), ("image/jpeg", 800, 600)),
        (jpeg_header(1024, 768, exif_bytes=30_000), ("image/jpeg", 1024, 768)),
        (webp_header("VP8X", 1200, 630), ("image/webp", 1200, 630)),
        (webp_header("VP8L", 300, 200), ("image/webp", 300, 200)),
        (webp_header("VP8 ", 320, 240), ("image/webp", 320, 240)),
    ],
)
def test_image_headers_give_type_and_size(head: bytes, expected) -> None:
    info = image_info(head)
    assert info is not None
    assert (info.mime, info.width, info.height) == expected


def test_not_images_and_truncated_headers() -> None:
    assert image_info(b"<svg xmlns='http://www.w3.org/2000/svg'/>") is None
    assert image_info(b"%PDF-1.7") is None
    truncated = image_info(png(10, 10)[:12])
    assert truncated is not None and truncated.width is None


def test_draft_json_round_trip(two_images) -> None:
    d = html_draft(two_images)
    back = draft_from_json(draft_to_json(d))
    assert back.inline_images == two_images


def test_a_fifo_named_like_an_image_is_refused_without_blocking(tmp_path) -> None:
    fifo = tmp_path / "logo.png"
    os.mkfifo(fifo)  # nobody writes: opening it to read would block forever
    d = html_draft([InlineImage(str(fifo), "logo")], body='<img src="cid:logo">')
    (msg,) = fields(d)["inline_images[0]"]
    assert "named pipe (FIFO)" in msg
    with pytest.raises(InlineImageError, match="named pipe"):
        read_image_info(str(fifo))


def test_thirty_thousand_inline_images_are_checked_in_linear_time(tmp_path) -> None:
    # A draft file can list any number of images; each was looked up in a list of the body's
    # references (30,000 of each: about 9 s of validation on every keystroke, growing with the
    # square). Only the names are checked here: the file checks are linear by nature.
    import time

    from composer.core.related import check_inline_images

    n = 30_000
    images = [InlineImage(str(tmp_path / "x.png"), f"i{k}") for k in range(n)]
    d = html_draft(images, body="".join(f'<img src="cid:i{k}">' for k in range(n)))
    problems: list = []
    started = time.perf_counter()
    check_inline_images(problems, d, check_files=False)
    assert time.perf_counter() - started < 2.0
    assert problems == []


def test_a_header_claiming_billions_of_pixels_gives_no_size() -> None:
    # The window writes the header's size into the <img> tag (Outlook lays an image out at
    # it): a PNG claiming 2^31 x 2^31 pixels made width="2147483648" height="2147483648".
    import struct

    head = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 2**31, 2**31) + b"\x08\x02"
    info = image_info(head)
    assert info is not None and info.mime == "image/png"
    assert (info.width, info.height) == (None, None)
    wide = image_info(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 70_000, 10))
    assert wide is not None and wide.width is None
    biggest = image_info(b"GIF89a\xff\xff\xff\xff")  # GIF's own maximum, 65535: a real size
    assert biggest is not None and (biggest.width, biggest.height) == (65535, 65535)


def test_cid_in_prose_is_not_a_reference() -> None:
    # "refers to cid:NAME, but no inline image has that content id" is an error: a newsletter
    # that explains cid: URLs in its text could not be sent at all.
    prose = "<p>Embed with cid:NAME or mail cid:logo@example.com.</p><!-- cid:old -->"
    assert cid_references(prose) == []
    d = html_draft([], body=prose)
    assert "body" not in fields(d)
    md = "Write `cid:x` in prose; cid:y too.\n\n![Logo](cid:logo) ![b]( <cid:b> )\n\n[r]: cid:ref\n"
    assert cid_references(md) == ["logo", "b", "ref"]
    css = "<td style=\"background: url( 'cid:bg' )\" background = \"cid:bg2\">"
    assert cid_references(css) == ["bg", "bg2"]
