"""core/eml_import.py: an .eml read back into a Draft (issue 15 item 5), and hostile .eml files
refused with one clear error naming the header or part."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from composer.core.build import build_message
from composer.core.draft import Attachment, BodyFormat, Draft, Options, Recipient
from composer.core.eml_import import (
    MAX_DEPTH,
    MAX_EML_BYTES,
    MAX_PARTS,
    parse_eml,
    safe_filename,
)
from composer.core.errors import EmlImportError, ExitCode


def _full_draft(tmp_path: Path) -> Draft:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 40)
    return Draft(
        from_addr=Recipient("ann@example.com", "Ann Lee"),
        to=[Recipient("bob@example.com", "Bob"), Recipient("cy@example.com")],
        subject="Spring sale — ünïcode",
        body="# Hello\n\nVisit **us** today.",
        body_format=BodyFormat.MARKDOWN,
        plain_text="A plain text written by hand.",
        amp_html="<!doctype html><html ⚡4email><body>amp</body></html>",
        attachments=[Attachment(str(report))],
        cc=[Recipient("dee@example.com", "Dee")],
        bcc=[Recipient("eve@example.com")],
        archive=[Recipient("arch@example.com")],
        campaign_id="spring-2026",
        tags=["sale", "spring"],
        metadata={"customer_id": 42, "vip": True, "note": "héllo"},
        options=Options(
            open_tracking=False,
            click_tracking=True,
            transactional=True,
            ip_pool="sp_shared",
            inline_css=True,
        ),
    )


def test_what_composer_sends_comes_back_as_the_same_draft(tmp_path: Path) -> None:
    draft = _full_draft(tmp_path)
    sent = build_message(draft)
    got = parse_eml(sent.data)
    d = got.draft
    assert (d.from_addr, d.to, d.subject) == (draft.from_addr, draft.to, draft.subject)
    assert (d.cc, d.bcc, d.archive) == (draft.cc, draft.bcc, draft.archive)
    assert (d.campaign_id, d.tags, d.metadata) == (draft.campaign_id, draft.tags, draft.metadata)
    assert d.options == draft.options
    assert d.body_format is BodyFormat.HTML and "<strong>us</strong>" in d.body
    assert d.plain_text == "A plain text written by hand."
    assert d.amp_html is not None and "amp" in d.amp_html
    assert [(f.filename, f.content_type) for f in got.files] == [("report.pdf", "application/pdf")]
    assert got.files[0].data == Path(draft.attachments[0].path).read_bytes()
    assert got.notes == []


def test_a_generated_plain_text_stays_generated(tmp_path: Path) -> None:
    draft = Draft(from_addr=Recipient("a@example.com"), to=[Recipient("b@example.com")],
                  subject="s", body="Just *one* line.")  # fmt: skip
    d = parse_eml(build_message(draft).data).draft
    assert d.plain_text is None and d.body_format is BodyFormat.HTML


def test_a_relays_copy_gives_cc_from_the_cc_header() -> None:
    msg = EmailMessage()
    msg["From"] = "Ann <ann@example.com>"
    msg["To"] = "bob@example.com"
    msg["Cc"] = "Cy <cy@example.com>, dee@example.com"
    msg["Subject"] = "Delivered"
    msg.set_content("plain body")
    d = parse_eml(msg.as_bytes()).draft
    assert d.cc == [Recipient("cy@example.com", "Cy"), Recipient("dee@example.com")]
    assert (d.body_format, d.body.strip()) == (BodyFormat.TEXT, "plain body")


def _raw(headers: str, body: str = "hello\r\n") -> bytes:
    return (headers.replace("\n", "\r\n") + "\r\n" + body).encode()


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (_raw("From: a@example.com\nSubject: =?UTF-8?Q?hi=0D=0ABcc:_x@evil.example?=\n"),
         "Subject", "control character U+000D"),
        (_raw("From: a@example.com\nFrom: b@example.com\nSubject: x\n"), "From", "2 times"),
        (_raw("From: a@example.com\nSubject: x\nX-MSYS-API: {\"cc\": [\n"), "X-MSYS-API",
         "not JSON"),
        (_raw("From: a@example.com\nX-MSYS-API: {\"a\":1}\nX-MSYS-API: {}\n"), "X-MSYS-API",
         "2 times"),
        (_raw("From: a@example.com\nX-MSYS-API: " + "[" * 200 + "]" * 200 + "\n"),
         "X-MSYS-API", "nested too deeply"),
        (_raw("From: a@example.com\nX-MSYS-API: {\"options\":{\"sandbox\":\"yes\"}}\n"),
         "X-MSYS-API.options.sandbox", "true or false"),
        (_raw("From: a@example.com\nX-MSYS-API: {\"cc\":[3]}\n"), "X-MSYS-API.cc[0]", "addr"),
        (b"\x00\x01\x02 not a message at all\xff\xfe", "", "not an e-mail message"),
        (b"", "", "empty"),
        (_raw("From: a@example.com\nContent-Type: multipart/mixed\n"), "MIME parts",
         "broken"),
    ],
)  # fmt: skip
def test_hostile_eml_is_refused_naming_the_field(data: bytes, field: str, words: str) -> None:
    with pytest.raises(EmlImportError) as caught:
        parse_eml(data)
    assert caught.value.field == field
    assert words in str(caught.value)
    assert caught.value.exit_code == ExitCode.INVALID
    assert "\n" not in str(caught.value)


def test_a_huge_file_is_refused_before_parsing() -> None:
    data = b"From: a@example.com\r\n\r\n" + b"x" * MAX_EML_BYTES
    with pytest.raises(EmlImportError, match="at most") as caught:
        parse_eml(data)
    assert caught.value.field == ""  # the whole file, named by its size
    assert "25.0 MB" in str(caught.value)


def test_a_huge_header_block_is_refused() -> None:
    data = b"From: a@example.com\r\nX-Long: " + b"a" * 600_000 + b"\r\n\r\nbody"
    with pytest.raises(EmlImportError, match="KB together"):
        parse_eml(data)


def _nested(depth: int) -> bytes:
    head = ["From: a@example.com", "Subject: deep"]
    body: list[str] = []
    for i in range(depth):
        body.append(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}')
    lines = "\r\n".join(head) + "\r\n" + "\r\n".join(body)
    lines += "\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
    lines += "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    return lines.encode()


@pytest.mark.parametrize("depth", [MAX_DEPTH + 2, MAX_PARTS + 1, 5000])
def test_deep_nesting_is_refused_without_a_recursion_error(depth: int) -> None:
    with pytest.raises(EmlImportError) as caught:
        parse_eml(_nested(depth))
    assert caught.value.field == "MIME parts"


def test_nesting_within_the_limit_imports() -> None:
    d = parse_eml(_nested(3)).draft
    assert d.body.strip() == "hi"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        (".bashrc", "bashrc"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("", "attachment-3.pdf"),
        (None, "attachment-3.pdf"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_attachment_names_are_one_plain_name(name: str | None, expected: str) -> None:
    assert safe_filename(name, 3, "application/pdf") == expected


def test_two_attachments_with_one_name_get_two_names() -> None:
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg.set_content("body")
    for data in (b"one", b"two"):
        msg.add_attachment(data, maintype="application", subtype="octet-stream",
                           filename="../same.bin")  # fmt: skip
    got = parse_eml(msg.as_bytes())
    assert [(f.filename, f.data) for f in got.files] == [("same.bin", b"one"),
                                                          ("same (2).bin", b"two")]  # fmt: skip


def test_unknown_msys_keys_and_charsets_are_noted_not_fatal() -> None:
    data = _raw(
        'From: a@example.com\nX-MSYS-API: {"campaign_id":"c","future":1,"options":{"x":1}}\n'
        "Content-Type: text/plain; charset=x-no-such-charset\n"
    )
    got = parse_eml(data)
    assert got.draft.campaign_id == "c"
    assert any("'future'" in n for n in got.notes) and any("'x'" in n for n in got.notes)
    assert any("character set" in n for n in got.notes)


def test_an_exported_inline_image_comes_back_inline(tmp_path: Path) -> None:
    import struct
    from dataclasses import replace

    from composer.core.draft import InlineImage

    logo = tmp_path / "logo.png"
    logo.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + struct.pack(">II", 1, 1) + b"\x08")
    draft = Draft(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Logo",
        body='<p>Hi</p><img src="cid:logo" alt="Logo">',
        body_format=BodyFormat.HTML,
        inline_images=[InlineImage(str(logo), "logo")],
    )
    # It came back as an attachment: the imported draft's <img src="cid:logo"> was then the
    # validation error "refers to cid:logo, but no inline image has that content id".
    got = parse_eml(build_message(draft).data)
    assert [(f.filename, f.cid) for f in got.files] == [("logo.png", "logo")]
    from composer.app.eml_files import save_imported_files
    from composer.core.validate import validate

    attachments, images = save_imported_files(tmp_path / "data", got.files, "in.eml")
    assert attachments == [] and [i.cid for i in images] == ["logo"]
    assert Path(images[0].path).read_bytes() == logo.read_bytes()
    imported = replace(got.draft, inline_images=images)
    assert [p for p in validate(imported) if "cid" in str(p)] == []
