"""Size limits (message, Subject, headers) and deceptive text (bidi controls, long local parts),
checked before anything is built or sent."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.drafts import ok_draft, problems

from composer.core.addresses import AddressError, check_address
from composer.core.build import build_message
from composer.core.draft import Attachment, Options, Recipient
from composer.core.errors import InvalidDraft
from composer.core.problems import MAX_HEADER_BYTES, MAX_MESSAGE_BYTES, MAX_SUBJECT_OCTETS
from composer.core.validate import Severity, validate

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]








def sparse_file(path: Path, size: int) -> Path:
    with path.open("wb") as f:  # no disk blocks: a hole of `size` bytes
        f.truncate(size)
    return path


# --- the message ------------------------------------------------------------------------------


def test_a_50_mb_attachment_is_refused_by_validation_without_reading_it(tmp_path: Path) -> None:
    big = sparse_file(tmp_path / "video.mp4", 50_000_000)
    start = time.monotonic()
    errs = problems(ok_draft(attachments=[Attachment(str(big))]))
    assert time.monotonic() - start < 1  # a stat, not a read
    assert "attachments" in errs
    assert "66.7 MB" in errs["attachments"] and "20.0 MB" in errs["attachments"]
    assert "the relay documents none" in errs["attachments"]


def test_the_build_refuses_a_file_over_the_limit_before_reading_it(tmp_path: Path) -> None:
    big = sparse_file(tmp_path / "video.mp4", 50_000_000)
    with pytest.raises(InvalidDraft) as caught:
        build_message(ok_draft(attachments=[Attachment(str(big))]))
    assert caught.value.problems[0].field.startswith("attachments")


def test_the_build_measures_the_exact_size(tmp_path: Path) -> None:
    """Validation's estimate is a lower bound; base64's line breaks and the body tip it over."""
    att = sparse_file(tmp_path / "data.bin", 14_990_000)  # 19,986,668 base64 characters
    d = ok_draft(attachments=[Attachment(str(att))])  # + line breaks and the body: over
    assert not [p for p in validate(d) if p.is_error]
    with pytest.raises(InvalidDraft) as caught:
        build_message(d)
    (problem,) = caught.value.problems
    assert problem.field == "attachments" and "20.0 MB" in problem.message


def test_just_under_the_limit_builds(tmp_path: Path) -> None:
    att = sparse_file(tmp_path / "data.bin", 14_000_000)
    assert build_message(ok_draft(attachments=[Attachment(str(att))])).size < MAX_MESSAGE_BYTES


# --- the Subject ------------------------------------------------------------------------------


def test_a_10_mb_subject_is_refused_quickly() -> None:
    start = time.monotonic()
    errs = problems(ok_draft(subject="x" * 10_000_000))
    assert time.monotonic() - start < 2
    assert "998" in errs["subject"]


def test_subject_limit_counts_encoded_octets() -> None:
    words = ("word " * 200)[: MAX_SUBJECT_OCTETS - 1] + "x"
    assert len(words) == MAX_SUBJECT_OCTETS
    assert "subject" not in problems(ok_draft(subject=words))
    assert "subject" in problems(ok_draft(subject=words + "y"))
    # One unbroken 998-character word must be encoded (RFC 2047 words): far over the limit.
    assert "subject" in problems(ok_draft(subject="a" * MAX_SUBJECT_OCTETS))
    # 400 accented letters: 400 characters, but about 1,100 octets as encoded-words.
    errs = problems(ok_draft(subject="é" * 400))
    assert "octets once encoded" in errs["subject"]


# --- the headers ------------------------------------------------------------------------------


def test_a_1_mb_x_msys_api_is_refused() -> None:
    metadata = {f"k{i}": "v" * 900 for i in range(1_200)}  # ~1.1 MB of JSON, each value foldable
    errs = problems(ok_draft(metadata=metadata))
    assert "metadata" in errs and f"{MAX_HEADER_BYTES // 1000} KB" in errs["metadata"]


def test_the_build_refuses_oversized_headers_even_without_validation() -> None:
    """A caller that skipped validate() still cannot build a 1 MB header."""
    from composer.core.build import _Builder

    d = ok_draft(metadata={f"k{i}": "v" * 900 for i in range(1_200)})
    with pytest.raises(InvalidDraft) as caught:
        _Builder(d, None).build(d.to)
    assert "KB" in caught.value.problems[0].message


def test_the_documented_worst_case_fits() -> None:
    """1000 list addresses with names: within the header limit."""
    cc = [Recipient(f"person.number.{i}@example-company.com", f"Person {i}") for i in range(1000)]
    assert "cc" not in problems(ok_draft(cc=cc))
    assert build_message(ok_draft(cc=cc)).size < MAX_HEADER_BYTES


# --- deceptive text ---------------------------------------------------------------------------


@pytest.mark.parametrize("ch", BIDI)
def test_bidi_controls_in_attachment_names_are_refused(tmp_path: Path, ch: str) -> None:
    f = tmp_path / f"invoice{ch}fdp.exe"
    f.write_bytes(b"MZ")
    errs = problems(ok_draft(attachments=[Attachment(str(f))]))
    assert f"U+{ord(ch):04X}" in errs["attachments[0]"]


@pytest.mark.parametrize("where", ["local", "domain"])
def test_bidi_controls_in_addresses_are_refused(where: str) -> None:
    addr = f"bob{RLO}moc@example.com" if where == "local" else f"bob@exam{RLO}ple.com"
    with pytest.raises(AddressError, match="U\\+202E"):
        check_address(Recipient(addr))
    assert "to[0]" in problems(ok_draft(to=[Recipient(addr)]))


def test_bidi_controls_in_display_text_are_warnings() -> None:
    d = ok_draft(
        from_addr=Recipient("ann@example.com", f"Ann {RLO}knaB"),
        to=[Recipient("bob@example.com", f"Bob{RLO}")],
        cc=[Recipient("cat@example.com", f"Cat{RLO}")],
        subject=f"Your invoice {RLO}fdp.exe",
        campaign_id=f"spring{RLO}",
        tags=[f"t{RLO}"],
        metadata={"note": f"x{RLO}"},
        options=Options(ip_pool=f"pool{RLO}"),
    )
    warned = problems(d, Severity.WARNING)
    for field in ("from", "to[0]", "cc[0]", "subject", "campaign_id", "tags[0]", "metadata"):
        assert "U+202E" in warned[field], field
    assert "U+202E" in warned["options.ip_pool"]
    assert not [p for p in validate(d) if p.is_error]  # display text is warned on, not refused
    build_message(d)


def test_direction_marks_are_not_flagged_in_display_text() -> None:
    """U+200E / U+200F only steer neutral characters; right-to-left text uses them."""
    shalom = "\u05e9\u05dc\u05d5\u05dd\u200f!"
    d = ok_draft(subject=shalom, to=[Recipient("bob@example.com", "B\u200e")])
    assert problems(d, Severity.WARNING) == {}


def test_local_part_over_64_octets_is_refused() -> None:
    check_address(Recipient("a" * 64 + "@example.com"))
    with pytest.raises(AddressError, match="65 characters before the @; at most 64"):
        check_address(Recipient("a" * 65 + "@example.com"))
    assert "to[0]" in problems(ok_draft(to=[Recipient("a" * 65 + "@example.com")]))
