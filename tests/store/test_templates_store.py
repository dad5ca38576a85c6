"""The person's templates and snippets on disk: private, atomic, damage listed not fatal."""

from __future__ import annotations

import os
import stat

import pytest

from composer.app.context import Context
from composer.app.templates import (
    all_snippets,
    all_templates,
    find_template,
    save_snippet,
    save_template,
)
from composer.core.draft import Attachment, Draft, Recipient
from composer.core.errors import InvalidInput, UsageError
from composer.core.snippets import Snippet
from composer.core.templates import MAX_TEMPLATE_BYTES, Template
from composer.store.templates import Damaged, NameTaken


def _draft() -> Draft:
    return Draft(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("list@example.com")],
        cc=[Recipient("cc@example.com")],
        subject="Hello",
        body="<p>hi</p>",
        amp_html="<html ⚡4email></html>",
        attachments=[Attachment(path="/home/ann/.ssh/id_rsa")],
        campaign_id="c",
        tags=["t"],
    )


def test_saved_templates_are_private_and_carry_no_recipients(context: Context) -> None:
    saved = save_template(context, "Launch!", "For launches", _draft())
    path = context.paths.templates / "launch.json"
    assert saved.path == path and saved.key == "launch"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    d = saved.draft
    assert (d.to, d.cc, d.attachments) == ([], [], [])
    assert (d.subject, d.amp_html, d.campaign_id, d.tags) == ("Hello", "<html ⚡4email></html>",
                                                             "c", ["t"])  # fmt: skip
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp left


def test_recipients_only_when_asked_and_names_are_not_taken_silently(context: Context) -> None:
    save_template(context, "Team", "", _draft(), include_recipients=True)
    assert find_template(context, "team").draft.to == [Recipient("list@example.com")]
    with pytest.raises(NameTaken):
        save_template(context, "TEAM", "", Draft(subject="other"))
    assert find_template(context, "Team").draft.subject == "Hello"  # nothing lost
    save_template(context, "TEAM", "", Draft(subject="other"), replace=True)
    assert find_template(context, "Team").draft.subject == "other"
    with pytest.raises(InvalidInput, match="built-in"):
        save_template(context, "Newsletter", "", _draft())
    with pytest.raises(InvalidInput, match="letter or digit"):
        save_template(context, "!!!", "", _draft())


def test_damaged_files_are_listed_not_fatal(context: Context) -> None:
    folder = context.paths.templates
    folder.mkdir(mode=0o700)
    (folder / "bad-json.json").write_text("{", encoding="utf-8")
    (folder / "bad-field.json").write_text('{"subject": 3}', encoding="utf-8")
    (folder / "not-utf8.json").write_bytes(b"\xff\xfe{}")
    with open(folder / "huge.json", "wb") as f:
        f.truncate(MAX_TEMPLATE_BYTES + 1)  # sparse: refused by size, never read
    os.mkfifo(folder / "fifo.json")  # would block a plain open(): refused as not a file
    (folder / "Not A Slug.json").write_text("{}", encoding="utf-8")  # not ours: left alone
    listed = all_templates(context)
    damaged = {t.key: t.message for t in listed if isinstance(t, Damaged)}
    assert set(damaged) == {"bad-json", "bad-field", "not-utf8", "huge", "fifo"}
    assert "subject" in damaged["bad-field"]
    assert sum(isinstance(t, Template) and t.builtin for t in listed) == 6
    with pytest.raises(UsageError, match="cannot be read"):
        find_template(context, "bad-json")


def test_snippets_save_and_list_like_templates(context: Context) -> None:
    s = save_snippet(context, "Promo banner", "Spring", '<div class="promo">30% off</div>')
    assert isinstance(s, Snippet) and s.key == "promo-banner" and not s.builtin
    path = context.paths.snippets / "promo-banner.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (context.paths.snippets / "broken.json").write_text('{"format": "x"}', encoding="utf-8")
    listed = all_snippets(context)
    keys = [x.key for x in listed]
    assert keys[:7] == ["button", "spacer", "divider", "image", "footer", "social",
                        "two-columns"]  # fmt: skip
    assert "promo-banner" in keys
    assert any(isinstance(x, Damaged) and x.key == "broken" for x in listed)
    with pytest.raises(InvalidInput, match="select some text"):
        save_snippet(context, "Empty", "", "  \n")


def test_a_listing_reads_a_bounded_total(context: Context, monkeypatch) -> None:
    from composer.store import templates as store_templates

    for name in ("a", "b", "c"):
        save_template(context, name, "", Draft(subject=name, body="x" * 4000))
    two = sum((context.paths.templates / f"{n}.json").stat().st_size for n in ("a", "b"))
    monkeypatch.setattr(store_templates, "MAX_TOTAL_BYTES", two + 10)
    listed = context.templates().list()
    assert [type(t).__name__ for t in listed] == ["Template", "Template", "Damaged"]
    assert "not read" in listed[2].message
