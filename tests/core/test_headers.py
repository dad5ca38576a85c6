"""The header block we write: RFC 2047 words that decode back, no injection on any Python."""

from __future__ import annotations

import email
from email import policy
from email.header import decode_header, make_header

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from composer.core.addresses import ValidAddress
from composer.core.errors import HeaderError
from composer.core.headers import check_header_block, encode_text, format_mailbox, header_line


def decode(line: str) -> str:
    value = line.split(":", 1)[1]
    return str(make_header(decode_header(value.replace("\r\n", "").strip())))


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
        max_size=300,
    )
)
def test_subject_round_trips_and_stays_in_limits(subject: str) -> None:
    line = header_line("Subject", encode_text(subject) if subject else [])
    assert line.isascii()
    for physical in line.split("\r\n"):
        assert len(physical) <= 998
    parsed = email.message_from_bytes((line + "\r\n\r\n").encode(), policy=policy.default)
    assert str(parsed["Subject"]) == subject.strip()
    assert decode(line) == subject.strip()


def test_plain_ascii_subject_stays_readable() -> None:
    assert header_line("Subject", encode_text("Spring sale")) == "Subject: Spring sale"


def test_long_ascii_subject_folds_at_spaces() -> None:
    words = ["word"] * 40
    line = header_line("Subject", encode_text(" ".join(words)))
    assert "\r\n " in line
    assert all(len(x) <= 78 for x in line.split("\r\n"))
    assert line.replace("\r\n", "") == "Subject: " + " ".join(words)


def test_encoded_word_injection_is_encoded_not_decoded() -> None:
    hostile = "x =?UTF-8?Q?=0D=0ABcc:_evil@example.com?="
    line = header_line("Subject", encode_text(hostile))
    block = (line + "\r\n").encode()
    check_header_block(block, ["Subject"])
    msg = email.message_from_bytes(block + b"\r\n", policy=policy.default)
    assert msg["Bcc"] is None
    assert decode(line) == hostile


def test_control_characters_are_refused() -> None:
    for bad in ["a\r\nBcc: x@example.com", "a\nb", "a\x00b", "a\u2028b"]:
        with pytest.raises(HeaderError):
            encode_text(bad)


def test_mailbox_forms() -> None:
    assert format_mailbox(ValidAddress("a@example.com", "")) == "a@example.com"
    assert format_mailbox(ValidAddress("a@example.com", "Ann Lee")) == "Ann Lee <a@example.com>"
    assert format_mailbox(ValidAddress("a@example.com", "Lee, Ann")) == (
        '"Lee, Ann" <a@example.com>'
    )
    assert format_mailbox(ValidAddress("a@example.com", 'say "hi"')) == (
        '"say \\"hi\\"" <a@example.com>'
    )
    encoded = format_mailbox(ValidAddress("a@example.com", "Zoë"))
    assert encoded.startswith("=?utf-8?b?") and encoded.endswith(" <a@example.com>")
    parsed = email.message_from_bytes(f"From: {encoded}\r\n\r\n".encode(), policy=policy.default)
    assert parsed["From"].addresses[0].display_name == "Zoë"


def test_check_header_block_refuses_anything_unexpected() -> None:
    check_header_block(b"From: a@example.com\r\nSubject: hi\r\n", ["From", "Subject"])
    bad = [
        b"From: a@example.com\r\nBcc: x@example.com\r\n",
        b"From: a@example.com\nSubject: hi\r\n",
        b"From: a@example.com\r\n\r\n",
        b"From: a\x00@example.com\r\n",
        b"From: " + b"a" * 1000 + b"\r\n",
        b" continuation first\r\n",
    ]
    for block in bad:
        with pytest.raises(HeaderError):
            check_header_block(block, ["From", "Subject"] if b"Subject" in block else ["From"])
