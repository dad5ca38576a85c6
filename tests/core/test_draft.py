"""The draft model and its JSON file format."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest

from composer.core.draft import (
    Attachment,
    BodyFormat,
    Draft,
    Options,
    Recipient,
    draft_from_json,
    dumps_draft,
    loads_draft,
    parse_recipient,
    read_address_lines,
    split_recipients,
)
from composer.core.errors import DraftFormatError


def full_draft() -> Draft:
    return Draft(
        from_addr=Recipient("ann@example.com", "Ann"),
        to=[Recipient("bob@example.com", "Bob"), Recipient("cy@example.com")],
        subject="Hello ☀",
        body="# Hi\n\n*there*",
        body_format=BodyFormat.MARKDOWN,
        plain_text="Hi there",
        amp_html="<html ⚡4email></html>",
        attachments=[Attachment("/tmp/x.pdf", "report.pdf", "application/pdf")],
        cc=[Recipient("c@example.com", "C")],
        bcc=[Recipient("d@example.com")],
        archive=[Recipient("e@example.com")],
        campaign_id="spring",
        tags=["a", "b"],
        metadata={"n": 1, "nested": {"ok": True}},
        options=Options(
            open_tracking=False,
            click_tracking=True,
            transactional=True,
            sandbox=False,
            skip_suppression=True,
            ip_pool="sp_shared",
            inline_css=True,
        ),
        inline_locally=True,
        inline_engine="css-inline",
    )


def test_every_field_round_trips() -> None:
    draft = full_draft()
    again = draft_from_json(json.loads(dumps_draft(draft)), trust_names=True)  # an autosave
    assert asdict(again) == asdict(draft)
    assert again == draft


def test_a_draft_file_keeps_everything_but_attachment_names() -> None:
    """Attachment names from a file are not trusted: the name sent is the file's own."""
    again = loads_draft(dumps_draft(full_draft()))
    assert again.attachments == [Attachment("/tmp/x.pdf", None, "application/pdf")]
    assert again.attachments[0].display_name == "x.pdf"
    assert replace(again, attachments=full_draft().attachments) == full_draft()


def test_empty_document_gives_an_empty_draft() -> None:
    assert draft_from_json({}) == Draft()


def test_wrong_types_name_the_field() -> None:
    cases = {
        '{"subject": 3}': "subject",
        '{"to": "x"}': "to",
        '{"to": [3]}': "to[0]",
        '{"options": {"open_tracking": "yes"}}': "options.open_tracking",
        '{"tags": ["a", 1]}': "tags[1]",
        '{"body_format": "rtf"}': "body_format",
        '{"version": 99}': "version",
        '{"format": "other"}': "format",
        '{"inline_locally": 1}': "inline_locally",
        '{"inline_engine": "juice"}': "inline_engine",
        '{"inline_engine": 1}': "inline_engine",
    }
    for text, field in cases.items():
        with pytest.raises(DraftFormatError) as info:
            loads_draft(text)
        assert info.value.field == field, text


def test_not_json_says_where() -> None:
    with pytest.raises(DraftFormatError, match="line 1"):
        loads_draft("{nope")


def test_metadata_that_is_not_an_object_is_kept_for_validation() -> None:
    assert loads_draft('{"metadata": [1, 2]}').metadata == [1, 2]


def test_document_is_versioned() -> None:
    doc = json.loads(dumps_draft(Draft()))
    assert doc["format"] == "composer-draft" and doc["version"] == 1


def test_parse_recipient_forms() -> None:
    assert parse_recipient("a@example.com") == Recipient("a@example.com")
    assert parse_recipient("Ann Lee <a@example.com>") == Recipient("a@example.com", "Ann Lee")
    assert parse_recipient('"Lee, Ann" <a@example.com>') == Recipient("a@example.com", "Lee, Ann")
    # unparseable text is kept whole for validation to name
    assert parse_recipient("Ann <a@example.com").email == "Ann <a@example.com"


def test_split_pasted_recipients() -> None:
    pasted = 'a@example.com, "Doe, Jane" <j@example.com>;b@example.com\n\n  c@example.com  '
    assert [r.email for r in split_recipients(pasted)] == [
        "a@example.com",
        "j@example.com",
        "b@example.com",
        "c@example.com",
    ]
    assert split_recipients(pasted)[1].name == "Doe, Jane"


def test_address_file_lines() -> None:
    text = "# seeds\nA <a@example.com>\n\n b@example.com \n"
    assert read_address_lines(text) == [Recipient("a@example.com", "A"), Recipient("b@example.com")]


# --- values JSON allows but nothing can send, and files that are not files --------------------

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"subject": "\\ud800"}', "subject"),
        ('{"tags": ["a", "\\udcff"]}', "tags[1]"),
        ('{"options": {"ip_pool": "\\udfff"}}', "options.ip_pool"),
        ('{"metadata": {"\\ud800": 1}}', "metadata"),
        ('{"metadata": {"n": NaN}}', "metadata.n"),
        ('{"metadata": {"n": -Infinity}}', "metadata.n"),
        ('{"metadata": {"n": 1e400}}', "metadata.n"),
        ('{"metadata": {"n": ' + "9" * 4400 + "}}", "metadata.n"),
        ('{"version": ' + "9" * 4400 + "}", "version"),
        ('{"metadata": ' + DEEP + "}", "metadata"),
        ('{"metadata": ' + '{"a":' * 40 + "1" + "}" * 40 + "}", "metadata"),
        (DEEP, ""),
    ],
)
def test_unsendable_json_values_are_refused_by_field(text: str, field: str) -> None:
    with pytest.raises(DraftFormatError) as info:
        loads_draft(text)
    assert info.value.field == field
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


def test_a_parsed_document_is_checked_too() -> None:
    with pytest.raises(DraftFormatError) as info:
        draft_from_json({"metadata": {"x": float("nan")}})
    assert info.value.field == "metadata.x"


def test_nesting_within_the_limit_is_kept() -> None:
    meta = {"a": {"b": {"c": [1, [2, [3]]]}}, "big": 2**63, "f": 1.5}
    assert loads_draft(json.dumps({"metadata": meta})).metadata == meta


def _in_thread(fn, seconds: float = 5.0):
    """Run fn with a deadline: the old reader blocked forever on a FIFO."""
    import threading

    box: dict[str, BaseException | object] = {}

    def work() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"still reading after {seconds} s"
    return box


def test_draft_files_must_be_regular_files(tmp_path) -> None:
    import os

    from composer.core.draft import load_draft

    fifo = tmp_path / "d.json"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path, "/dev/zero"):
        box = _in_thread(lambda p=path: load_draft(p))
        assert isinstance(box.get("error"), DraftFormatError), (path, box)
        assert str(path) in str(box["error"])


def test_a_draft_file_over_the_limit_is_refused_unread(tmp_path, monkeypatch) -> None:
    from composer.core import draft as draft_module

    monkeypatch.setattr(draft_module, "MAX_DRAFT_FILE_BYTES", 1000)
    p = tmp_path / "d.json"
    p.write_text(json.dumps({"body": "x" * 2000}), encoding="utf-8")
    with pytest.raises(DraftFormatError, match="larger than"):
        draft_module.load_draft(p)
    p.write_text(json.dumps({"body": "x" * 900}), encoding="utf-8")
    assert draft_module.load_draft(p).body == "x" * 900
