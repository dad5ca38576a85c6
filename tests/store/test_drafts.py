"""Drafts on disk: autosave and recovery, Save As, the recent-files list. Real files, no Qt."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from composer.core.draft import Attachment, Draft, Options, Recipient, load_draft
from composer.core.errors import ComposerError, DraftSaveError
from composer.store.atomic import TMP_PREFIX, TMP_SUFFIX
from composer.store.drafts import MAX_RECENT, DraftStore, new_draft_id


def sample(subject: str = "Quarterly news") -> Draft:
    return Draft(
        from_addr=Recipient("ann@example.com", "Ann"),
        to=[Recipient("bob@example.com", "Bob")],
        cc=[Recipient("zoe@example.com", "Zoë")],
        subject=subject,
        body="# Hello\n\nLine with ünïcode and \u2028 separator.",
        attachments=[Attachment("/tmp/a.pdf", "report.pdf")],
        tags=["news"],
        metadata={"k": [1, 2]},
        options=Options(open_tracking=False, ip_pool="pool"),
    )


@pytest.fixture
def store(tmp_path: Path) -> DraftStore:
    return DraftStore(tmp_path / "drafts")


def test_default_folder_is_under_composer_home(context, composer_home: Path) -> None:
    assert context.drafts().folder == context.paths.drafts
    assert context.drafts().folder.is_relative_to(composer_home)


def test_autosave_then_recoverable_gives_the_same_draft(store: DraftStore) -> None:
    draft_id = new_draft_id()
    store.autosave(draft_id, sample(), "/home/ann/news.json")
    (item,) = store.recoverable()
    assert item.draft == sample()
    assert item.draft_id == draft_id
    assert item.subject == "Quarterly news"
    assert item.source_path == "/home/ann/news.json"
    assert item.from_previous is False
    assert item.saved_at.tzinfo is not None
    assert store.problems == []
    doc = json.loads((store.folder / f"{draft_id}.json").read_text(encoding="utf-8"))
    assert set(doc) >= {"saved_at", "source_path", "draft"}
    assert doc["draft"]["subject"] == "Quarterly news"


def test_second_autosave_keeps_one_generation_back(store: DraftStore) -> None:
    store.autosave("d1", sample("one"), None)
    store.autosave("d1", sample("two"), None)
    store.autosave("d1", sample("three"), None)
    (item,) = store.recoverable()
    assert item.subject == "three"
    prev = json.loads((store.folder / "d1.json.prev").read_text(encoding="utf-8"))
    assert prev["draft"]["subject"] == "two"
    assert sorted(p.name for p in store.folder.iterdir()) == ["d1.json", "d1.json.prev"]


def test_newest_first(store: DraftStore) -> None:
    store.autosave("older", sample("older"), None)
    store.autosave("newer", sample("newer"), None)
    assert [r.subject for r in store.recoverable()] == ["newer", "older"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],  # cut short
        lambda text: "",  # empty
        lambda text: text.replace('"draft"', '"dr\\u0000aft"'),  # valid JSON, no draft
    ],
    ids=["truncated", "empty", "no-draft"],
)
def test_a_corrupt_autosave_falls_back_to_prev(store: DraftStore, damage) -> None:
    store.autosave("d1", sample("first"), None)
    store.autosave("d1", sample("second"), None)
    newest = store.folder / "d1.json"
    newest.write_text(damage(newest.read_text(encoding="utf-8")), encoding="utf-8")
    (item,) = store.recoverable()
    assert item.draft == sample("first")
    assert item.from_previous is True
    assert store.problems == []


def test_only_prev_left_is_recovered(store: DraftStore) -> None:
    """Killed between the rename to .prev and the new write."""
    store.autosave("d1", sample("only"), None)
    os.replace(store.folder / "d1.json", store.folder / "d1.json.prev")
    (item,) = store.recoverable()
    assert item.subject == "only" and item.from_previous is False


def test_unreadable_autosave_is_reported_not_raised(store: DraftStore) -> None:
    store.autosave("good", sample("good"), None)
    store.folder.joinpath("bad.json").write_bytes(b'{"format": "composer-autosave", "ver')
    store.folder.joinpath("worse.json").write_bytes(b"\xff\xfe not text")
    store.folder.joinpath("worse.json.prev").write_text("[1, 2]", encoding="utf-8")
    assert [r.subject for r in store.recoverable()] == ["good"]
    assert sorted(p.draft_id for p in store.problems) == ["bad", "worse"]
    for problem in store.problems:
        text = str(problem)
        assert problem.draft_id in text and "\n" not in text and text.endswith(".")
    # left on disk for the person to salvage; discard removes them when asked
    assert store.folder.joinpath("bad.json").exists()
    store.discard("worse")
    assert not store.folder.joinpath("worse.json").exists()
    assert not store.folder.joinpath("worse.json.prev").exists()


def test_missing_folder_is_nothing_to_recover(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "never-created")
    assert store.recoverable() == [] and store.problems == []
    assert store.recent() == []


def test_discard_removes_both_generations(store: DraftStore) -> None:
    store.autosave("d1", sample("a"), None)
    store.autosave("d1", sample("b"), None)
    store.autosave("d2", sample("c"), None)
    store.discard("d1")
    store.discard("d1")  # twice is fine
    store.discard("never-saved")
    assert sorted(p.name for p in store.folder.iterdir()) == ["d2.json"]
    assert [r.draft_id for r in store.recoverable()] == ["d2"]


def test_stray_temp_files_are_cleaned(store: DraftStore) -> None:
    store.autosave("d1", sample(), None)
    stray = [store.folder / f"{TMP_PREFIX}x{i}{TMP_SUFFIX}" for i in range(3)]
    for p in stray:
        p.write_text('{"half": ', encoding="utf-8")
    keep = store.folder / "notes.txt"
    keep.write_text("not ours to delete", encoding="utf-8")
    assert [r.draft_id for r in store.recoverable()] == ["d1"]
    assert not any(p.exists() for p in stray)
    assert keep.exists()


def test_save_as_writes_a_draft_file(store: DraftStore, tmp_path: Path) -> None:
    target = tmp_path / "mine" / "news.json"
    store.save_as(target, sample())
    # Everything comes back but the attachment's name: a file's names are not trusted.
    assert load_draft(target) == replace(sample(), attachments=[Attachment("/tmp/a.pdf")])
    store.save_as(target, sample("again"))
    assert load_draft(target).subject == "again"
    assert [p.name for p in target.parent.iterdir()] == ["news.json"]  # no temp file left


def test_recent_is_most_recent_first_capped_and_only_existing(
    store: DraftStore, tmp_path: Path
) -> None:
    files = []
    for i in range(MAX_RECENT + 3):
        f = tmp_path / f"draft{i}.json"
        f.write_text("{}", encoding="utf-8")
        files.append(str(f))
        store.add_recent(f)
    expected = list(reversed(files))[:MAX_RECENT]
    assert store.recent() == expected
    store.add_recent(files[-5])  # again: moves to the front, no duplicate
    assert store.recent()[0] == files[-5]
    assert store.recent().count(files[-5]) == 1 and len(store.recent()) == MAX_RECENT
    os.unlink(files[-1])
    assert files[-1] not in store.recent()
    assert len(store.recent()) == MAX_RECENT - 1
    doc = json.loads(store.recent_path.read_text(encoding="utf-8"))
    assert len(doc["files"]) <= MAX_RECENT
    # recent.json is not mistaken for an autosave
    assert store.recoverable() == [] and store.problems == []


def test_recent_survives_a_corrupt_list(store: DraftStore, tmp_path: Path) -> None:
    store.folder.mkdir(parents=True)
    store.recent_path.write_text("{not json", encoding="utf-8")
    assert store.recent() == []
    f = tmp_path / "a.json"
    f.write_text("{}", encoding="utf-8")
    store.add_recent(f)
    assert store.recent() == [str(f)]


def test_unwritable_folder_is_a_draft_save_error(tmp_path: Path) -> None:
    # A file where the folder should be: fails for root too (chmod would not).
    blocker = tmp_path / "drafts"
    blocker.write_text("I am a file", encoding="utf-8")
    store = DraftStore(blocker)
    with pytest.raises(DraftSaveError) as info:
        store.autosave("d1", sample(), None)
    assert isinstance(info.value, ComposerError) and not isinstance(info.value, OSError)
    assert str(blocker) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(DraftSaveError):
        store.save_as(blocker / "x.json", sample())
    with pytest.raises(DraftSaveError):
        store.add_recent(tmp_path / "x.json")
    assert store.recoverable() == []  # and reading never raises
    assert blocker.read_text(encoding="utf-8") == "I am a file"


def test_a_draft_that_is_not_json_is_a_draft_save_error(store: DraftStore) -> None:
    draft = sample()
    draft.metadata = {"when": object()}
    with pytest.raises(DraftSaveError):
        store.autosave("d1", draft, None)
    draft.metadata = {}
    draft.subject = "lone \ud800 surrogate"
    with pytest.raises(DraftSaveError):
        store.autosave("d1", draft, None)
    assert store.recoverable() == []


@pytest.mark.parametrize("bad", ["", "../escape", ".hidden", "a/b", "recent", "x" * 65])
def test_draft_ids_are_plain_file_names(store: DraftStore, bad: str) -> None:
    with pytest.raises(ValueError):
        store.autosave(bad, sample(), None)


@pytest.mark.parametrize(
    "inner",
    [
        '{"metadata": ' + "[" * 1000 + "]" * 1000 + "}",
        '{"subject": "\\ud800"}',
        '{"metadata": {"n": NaN}}',
        '{"metadata": {"n": ' + "9" * 4400 + "}}",
    ],
)
def test_an_autosave_holding_unsendable_json_is_a_problem_not_a_crash(
    store: DraftStore, inner: str
) -> None:
    store.autosave("good", sample("good"), None)
    doc = '{"format": "composer-autosave", "version": 1, "source_path": null, "draft": '
    store.folder.joinpath("bad.json").write_text(doc + inner + "}", encoding="utf-8")
    assert [r.subject for r in store.recoverable()] == ["good"]
    (problem,) = store.problems
    assert problem.draft_id == "bad" and "\n" not in str(problem)
    assert "Error" not in str(problem)  # a sentence, not an exception's class name


def test_an_autosave_that_is_a_fifo_does_not_block(store: DraftStore) -> None:
    import threading

    store.autosave("good", sample("good"), None)
    os.mkfifo(store.folder / "stuck.json")
    found: list[object] = []
    t = threading.Thread(target=lambda: found.append(store.recoverable()), daemon=True)
    t.start()
    t.join(5)
    assert not t.is_alive(), "recovery blocked on a FIFO"
    assert [r.subject for r in found[0]] == ["good"]  # type: ignore[index]


@pytest.mark.parametrize(
    "content",
    [
        b'{"files": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        b'{"files": ["\\ud800"]}',
        b"\xff\xfe",
    ],
)
def test_a_hostile_recent_list_is_forgotten_not_raised(store: DraftStore, content: bytes) -> None:
    store.folder.mkdir(parents=True)
    store.recent_path.write_bytes(content)
    assert store.recent() == []
