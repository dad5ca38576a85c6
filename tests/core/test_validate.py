"""Validation: each problem names its field, errors block, warnings do not."""

from __future__ import annotations

from pathlib import Path

from support.drafts import ok_draft, problems

from composer.core.draft import Attachment, Draft, Options, Recipient
from composer.core.validate import Severity, validate


def test_a_good_draft_has_no_problems() -> None:
    assert validate(ok_draft()) == []


def test_from_and_to_are_required() -> None:
    errs = problems(Draft(subject="x", body="y"))
    assert "from" in errs and "to" in errs


def test_invalid_addresses_name_their_field_and_position() -> None:
    draft = ok_draft(
        to=[Recipient("bob@example.com"), Recipient("bob@")],
        cc=[Recipient("not an address")],
        bcc=[Recipient("x@y")],
    )
    errs = problems(draft)
    assert "something after the @" in errs["to[1]"]
    assert "cc[0]" in errs and "bcc[0]" in errs
    labels = [p.label for p in validate(draft)]
    assert "To #2" in labels and "Cc #1" in labels


def test_idn_domains_are_accepted_and_utf8_local_parts_are_not() -> None:
    assert problems(ok_draft(to=[Recipient("user@bücher.example")])) == {}
    assert "non-ASCII" in problems(ok_draft(to=[Recipient("jörg@example.com")]))["to[0]"]


def test_same_address_in_two_lists_is_reported() -> None:
    draft = ok_draft(
        cc=[Recipient("Bob@Example.com")],
        bcc=[Recipient("x@example.com"), Recipient("x@example.com")],
    )
    errs = problems(draft)
    assert "also in To #1" in errs["cc[0]"]
    # Within one list it names the row it repeats (it once read "x@example.com is again").
    assert errs["bcc[1]"].startswith("x@example.com is already in Bcc #1;")


def test_campaign_id_counts_bytes_not_characters() -> None:
    assert problems(ok_draft(campaign_id="a" * 64)) == {}
    msg = problems(ok_draft(campaign_id="é" * 40))["campaign_id"]
    assert "80 bytes" in msg and "40 characters" in msg


def test_at_most_ten_tags() -> None:
    assert problems(ok_draft(tags=[str(i) for i in range(10)])) == {}
    assert "11 tags" in problems(ok_draft(tags=[str(i) for i in range(11)]))["tags"]


def test_metadata_must_be_an_object_and_large_metadata_warns() -> None:
    assert "JSON object" in problems(ok_draft(metadata=[1, 2]))["metadata"]
    assert "JSON object" in problems(ok_draft(metadata="x"))["metadata"]
    big = ok_draft(metadata={f"k{i}": "v" * 40 for i in range(30)})
    assert problems(big) == {}
    assert "1000 bytes" in problems(big, Severity.WARNING)["metadata"]


def test_metadata_value_too_long_for_the_header_is_an_error() -> None:
    assert "metadata.k" in problems(ok_draft(metadata={"k": "x" * 5000}))["metadata"]


def test_list_limit_is_1000_in_total() -> None:
    def many(n: int, prefix: str) -> list[Recipient]:
        return [Recipient(f"{prefix}{i}@example.com") for i in range(n)]

    assert problems(ok_draft(cc=many(500, "c"), bcc=many(400, "b"), archive=many(100, "a"))) == {}
    errs = problems(ok_draft(cc=many(500, "c"), bcc=many(400, "b"), archive=many(101, "a")))
    assert "1001" in errs["cc"] and "1000" in errs["cc"]


def test_control_characters_in_single_line_fields() -> None:
    draft = ok_draft(
        subject="Hi\r\nBcc: evil@example.com",
        campaign_id="a\nb",
        tags=["x\x00"],
        options=Options(ip_pool="p\u2028"),
        to=[Recipient("bob@example.com", "Bob\r\nBcc: e@example.com")],
    )
    errs = problems(draft)
    for field in ("subject", "campaign_id", "tags[0]", "options.ip_pool", "to[0]"):
        assert field in errs, field
    assert "line break" in errs["to[0]"] or "carriage return" in errs["to[0]"]


def test_nul_in_body_is_an_error_and_empty_subject_a_warning() -> None:
    draft = ok_draft(body="a\x00b", subject="")
    assert "NUL" in problems(draft)["body"]
    assert "subject" in problems(draft, Severity.WARNING)


def test_missing_attachment_is_named(tmp_path: Path) -> None:
    present = tmp_path / "a.txt"
    present.write_text("x")
    draft = ok_draft(attachments=[Attachment(str(present)), Attachment(str(tmp_path / "no.pdf"))])
    errs = problems(draft)
    assert list(errs) == ["attachments[1]"] and "not found" in errs["attachments[1]"]


def test_errors_come_before_warnings() -> None:
    problems = validate(Draft(subject="", body=""))
    severities = [p.severity for p in problems]
    assert severities == sorted(severities, key=lambda s: s is Severity.WARNING)
