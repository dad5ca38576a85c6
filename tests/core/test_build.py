"""Draft -> envelope + bytes: the structure the relay documents, and nothing it forbids."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from support.drafts import hello_draft as draft

from composer.core import msys
from composer.core.build import build_message, build_messages, msys_object
from composer.core.draft import Attachment, BodyFormat, Options, Recipient
from composer.core.errors import InvalidDraft


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def assert_wire_safe(data: bytes) -> None:
    assert not re.search(rb"(?<!\r)\n|\r(?!\n)", data), "bare CR or LF"
    assert b"\x00" not in data
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


def header_names(data: bytes) -> list[str]:
    block = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0] for line in block.split("\r\n") if not line[:1].isspace()]


def test_envelope_is_from_and_to_only() -> None:
    m = build_message(
        draft(
            cc=[Recipient("c@example.com")],
            bcc=[Recipient("d@example.com")],
            archive=[Recipient("e@example.com")],
        )
    )
    assert m.envelope.mail_from == "ann@example.com"
    assert m.envelope.rcpt_to == ("bob@example.com",)


def test_headers_in_order_and_no_cc_or_bcc() -> None:
    m = build_message(
        draft(
            cc=[Recipient("c@example.com", "C")],
            bcc=[Recipient("d@example.com")],
            campaign_id="spring",
        )
    )
    names = header_names(m.data)
    assert names[:7] == [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
        "X-MSYS-API",
    ]
    assert "Cc" not in names and "Bcc" not in names
    msg = parse(m.data)
    assert msg["Message-ID"] == m.message_id
    assert msys.parse_value(msg["X-MSYS-API"]) == {
        "campaign_id": "spring",
        "cc": [{"email": "c@example.com", "name": "C"}],
        "bcc": [{"email": "d@example.com"}],
    }
    assert_wire_safe(m.data)


def test_no_msys_header_when_nothing_is_set() -> None:
    m = build_message(draft())
    assert "X-MSYS-API" not in header_names(m.data)
    assert m.msys is None


def test_only_set_options_appear() -> None:
    obj = msys_object(draft(options=Options(open_tracking=False, ip_pool="sp_shared")))
    assert obj == {"options": {"open_tracking": False, "ip_pool": "sp_shared"}}
    everything = msys_object(
        draft(
            tags=["a"],
            metadata={"k": 1},
            options=Options(True, True, True, True, True, "pool", True),
        )
    )
    assert list(everything) == ["metadata", "tags", "options"]
    assert list(everything["options"]) == [
        "open_tracking",
        "click_tracking",
        "transactional",
        "sandbox",
        "skip_suppression",
        "ip_pool",
        "inline_css",
    ]


def test_alternative_parts_in_order_with_amp() -> None:
    amp = "<!doctype html><html ⚡4email><head></head><body>AMP</body></html>"
    msg = parse(build_message(draft(amp_html=amp)).data)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == [
        "text/plain",
        "text/x-amp-html",
        "text/html",
    ]
    plain = next(msg.iter_parts()).get_content()
    assert "https://example.com/x" in plain and "<" not in plain


def test_attachments_wrap_the_alternative_in_mixed(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 50)
    msg = parse(build_message(draft(attachments=[Attachment(str(pdf))])).data)
    assert msg.get_content_type() == "multipart/mixed"
    alt, att = list(msg.iter_parts())
    assert alt.get_content_type() == "multipart/alternative"
    assert att.get_filename() == "report.pdf"
    assert att.get_content_type() == "application/pdf"
    assert att.get_content() == pdf.read_bytes()


def test_text_only_message_is_a_single_part() -> None:
    msg = parse(build_message(draft(body="just text", body_format=BodyFormat.TEXT)).data)
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().strip() == "just text"


def test_long_lines_and_non_ascii_get_a_transfer_encoding() -> None:
    html = "<p>" + "é" * 20 + "x" * 5_000_000 + "</p>"
    m = build_message(draft(body=html, body_format=BodyFormat.HTML))
    assert_wire_safe(m.data)
    parts = list(parse(m.data).iter_parts())
    assert parts[1]["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert parts[1].get_content().strip() == html


def test_idn_domain_becomes_a_label_everywhere() -> None:
    m = build_message(draft(to=[Recipient("user@bücher.example", "Zoë")]))
    assert m.envelope.rcpt_to == ("user@xn--bcher-kva.example",)
    to = parse(m.data)["To"]
    assert to.addresses[0].addr_spec == "user@xn--bcher-kva.example"
    assert to.addresses[0].display_name == "Zoë"
    assert m.data.split(b"\r\n\r\n")[0].isascii()


def test_subject_injection_never_makes_a_header() -> None:
    subject = "sale =?UTF-8?Q?=0D=0ABcc:_evil@example.com?= now"
    m = build_message(draft(subject=subject))
    assert header_names(m.data)[:6] == [
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
    ]
    assert parse(m.data)["Bcc"] is None
    assert str(parse(m.data)["Subject"]) == subject


def test_thousand_list_recipients_fold_and_parse() -> None:
    cc = [Recipient(f"c{i}@example.com", f"Cc, {i}") for i in range(600)]
    bcc = [Recipient(f"b{i}@example.com") for i in range(400)]
    m = build_message(draft(cc=cc, bcc=bcc, metadata={"note": "a b, c: d"}))
    assert_wire_safe(m.data)
    value = parse(m.data)["X-MSYS-API"]
    obj = msys.parse_value(
        m.data.split(b"X-MSYS-API: ", 1)[1].split(b"\r\n\r\n")[0].split(b"\r\nContent-")[0].decode()
    )
    assert len(obj["cc"]) == 600 and len(obj["bcc"]) == 400
    assert value is not None


def test_invalid_draft_raises_with_problems() -> None:
    with pytest.raises(InvalidDraft) as info:
        build_message(draft(to=[Recipient("nope")]))
    assert info.value.problems[0].field == "to[0]"


def test_seed_list_makes_one_message_per_seed_with_its_own_id() -> None:
    seeds = [Recipient(f"s{i}@example.com") for i in range(3)]
    messages = build_messages(draft(to=[]), seeds=seeds)
    assert [m.envelope.rcpt_to for m in messages] == [(f"s{i}@example.com",) for i in range(3)]
    assert len({m.message_id for m in messages}) == 3
    for i, m in enumerate(messages):
        assert parse(m.data)["To"].addresses[0].addr_spec == f"s{i}@example.com"


def test_duplicate_seed_is_refused() -> None:
    seeds = [Recipient("s@example.com"), Recipient("S@example.com")]
    with pytest.raises(InvalidDraft):
        build_messages(draft(to=[]), seeds=seeds)
