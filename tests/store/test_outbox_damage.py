"""Damaged files on disk: a corrupt history never blocks a send, a corrupt outbox blocks every
send and names the command that recovers what can be read, and one bad outbox row never makes
`composer outbox` unusable. Every case runs the real `composer` command; sends go to a real
aiosmtpd on 127.0.0.1 (support/smtp_gated.py)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from support.cli import child_env, composer_command
from support.smtp_faults import GOOD_KEY
from support.smtp_gated import GatedServer

from composer.core.build import build_messages
from composer.core.draft import Draft, Recipient
from composer.core.errors import OutboxDamaged
from composer.store.history import History, take_notices
from composer.store.outbox import Outbox, salvage

GARBAGE = b"this is not a database, it is a file someone overwrote\n" * 100


def _run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*composer_command(), *args], capture_output=True, text=True, env=child_env(home, GOOD_KEY),
        timeout=60,
    )  # fmt: skip


def _send(home: Path, tmp: Path, server: GatedServer, to: str = "bob@example.com"):
    body = tmp / "body.txt"
    body.write_text("hello\n")
    return _run(
        home, "send", "--from", "ann@example.com", "--to", to, "--subject", "s",
        "--text", str(body), *server.connection_args(),
    )  # fmt: skip


def _messages(n: int, size: int = 0):
    draft = Draft(from_addr=Recipient("ann@example.com"), subject="T", body="x" * size or "Hi")
    return build_messages(draft, seeds=[Recipient(f"s{i:02d}@example.com") for i in range(n)])


def _clean(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr and "internal problem" not in result.stderr


def test_a_corrupt_history_is_moved_aside_and_the_send_goes_on(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "history.sqlite3").write_bytes(GARBAGE)
    with GatedServer(tmp_path) as server:
        r = _send(home, tmp_path, server)
        assert r.returncode == 0, r.stderr
        _clean(r)
        assert server.deliveries() == {"bob@example.com": 1}
    (aside,) = home.glob("history.sqlite3.corrupt-*")
    assert aside.read_bytes() == GARBAGE  # kept as it was, for whoever wants to look
    assert "send history" in r.stderr and aside.name in r.stderr and "moved aside" in r.stderr
    listed = _run(home, "history", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["status"] == "sent"


def test_history_in_process_moves_aside_and_tells_the_window(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(GARBAGE)
    take_notices()
    with History(path) as history:
        assert history.moved_to is not None and history.recent() == []
    (notice,) = take_notices()
    assert str(path) in notice and history.moved_to.name in notice
    with History(path) as history:  # the new file is a sound, empty history
        assert history.moved_to is None and history.recent() == []


def test_a_corrupt_outbox_refuses_every_send_and_names_the_way_out(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    outbox = home / "outbox.sqlite3"
    outbox.write_bytes(GARBAGE)
    with GatedServer(tmp_path) as server:
        r = _send(home, tmp_path, server)
        assert r.returncode == 4, r.stderr
        _clean(r)
        assert str(outbox) in r.stderr and "`composer outbox salvage`" in r.stderr
        assert "nothing is sent" in r.stderr
        assert server.fault.received == []  # not one byte of mail went out
        listed = _run(home, "outbox")
        assert listed.returncode == 4 and "composer outbox salvage" in listed.stderr
        _clean(listed)
        fixed = _run(home, "outbox", "salvage")
        assert fixed.returncode == 0, fixed.stderr
        assert "salvaged 0 item(s)" in fixed.stderr and "could not be read" in fixed.stderr
        (aside,) = home.glob("outbox.sqlite3.corrupt-*")
        assert aside.read_bytes() == GARBAGE and aside.name in fixed.stderr
        assert _send(home, tmp_path, server).returncode == 0
        assert server.deliveries() == {"bob@example.com": 1}
    again = _run(home, "outbox", "salvage")
    assert again.returncode == 0 and "nothing to salvage" in again.stderr


def _damage_page_holding(path: Path, marker: bytes) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    at = data.index(marker) // page * page
    assert at > 0, "the marker must not be on the header page"
    data[at : at + page] = b"\xa5" * page
    path.write_bytes(bytes(data))


def test_salvage_keeps_what_can_be_read_of_a_partly_damaged_outbox(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    msgs = _messages(30, size=3000)  # about one message per page
    with Outbox(path) as box:
        ids = box.enqueue(msgs, "p", "T")
        box.claim(ids[:2])
        box.mark_awaiting(ids[0])  # crashed while awaiting the final reply
        box.mark_failed(ids[5], "550 no")
        box.mark_sent(ids[6], "250 ok")
    _damage_page_holding(path, msgs[15].message_id.encode())
    with Outbox(path) as box:  # the header reads; the damage shows when the items are read
        with pytest.raises(OutboxDamaged) as damaged:
            box.items()
        assert "composer outbox salvage" in str(damaged.value)
        with pytest.raises(OutboxDamaged):
            box.enqueue(_messages(1), "p")  # no new item goes into a damaged file
    report = salvage(path)
    assert report.moved_to is not None and report.moved_to.exists()
    got = {i.id: i for i in report.items}
    assert ids[15] not in got and len(got) >= 25  # only what sat on the damaged page is lost
    assert got[ids[0]].state == "unknown" and got[ids[1]].state == "queued"
    assert got[ids[5]].state == "failed" and got[ids[6]].state == "sent"
    assert got[ids[29]].message() == msgs[29]  # the very bytes, Message-ID included
    with Outbox(path) as box:
        box.check()
        assert [i.id for i in box.items()] == sorted(got)
        (new,) = box.enqueue(_messages(1, size=1), "p")
        assert new > max(ids)  # never reuses an id the damaged file had


def test_one_bad_row_leaves_the_outbox_usable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    path = home / "outbox.sqlite3"
    with sqlite3.connect(path) as db:  # a table as another tool might have left it: no NOT NULL
        db.execute(
            "CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT,"
            " updated TEXT, profile TEXT, subject TEXT, message_id TEXT, mail_from TEXT,"
            " rcpt_to TEXT, data BLOB, msys TEXT, state TEXT, reason TEXT DEFAULT '',"
            " attempts INTEGER DEFAULT 0,"
            " fingerprint TEXT)"
        )
    db.close()
    with Outbox(path) as box:
        good, bad_state, bad_json, bad_types, null_subject = box.enqueue(_messages(5), "p", "T")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE outbox SET state='bogus\u202e' WHERE id=?", (bad_state,))
        db.execute("UPDATE outbox SET rcpt_to='[not json' WHERE id=?", (bad_json,))
        db.execute("UPDATE outbox SET attempts='x', data='text' WHERE id=?", (bad_types,))
        db.execute("UPDATE outbox SET subject=NULL WHERE id=?", (null_subject,))
    db.close()

    listed = _run(home, "outbox")
    assert listed.returncode == 0, listed.stderr
    _clean(listed)
    assert "pending:" in listed.stdout and "damaged" in listed.stdout
    state = json.loads(_run(home, "outbox", "--json").stdout)
    assert [i["id"] for i in state["pending"]] == [good]
    damaged = {i["id"]: i["problem"] for i in state["damaged"]}
    assert sorted(damaged) == [bad_state, bad_json, bad_types, null_subject]
    assert "state" in damaged[bad_state] and "rcpt_to" in damaged[bad_json]
    assert "attempts" in damaged[bad_types] and "data" in damaged[bad_types]
    assert "subject" in damaged[null_subject]

    with GatedServer(tmp_path) as server:
        resumed = _run(home, "outbox", "resume", *server.connection_args())
        assert resumed.returncode == 0, resumed.stderr
        _clean(resumed)
        assert "damaged item(s) not sent" in resumed.stderr
        assert server.deliveries() == {"s00@example.com": 1}  # the good one, and only it
    refused = _run(home, "outbox", "resend", str(bad_json))
    assert refused.returncode == 2 and "damaged" in refused.stderr
    gone = _run(home, "outbox", "discard", f"{bad_state}-{null_subject}")
    assert gone.returncode == 0, gone.stderr
    assert json.loads(_run(home, "outbox", "--json").stdout)["damaged"] == []
    bad_arg = _run(home, "outbox", "discard", "3-x")
    assert bad_arg.returncode == 2 and "ID" in bad_arg.stderr


@pytest.mark.parametrize(
    ("arg", "says"),
    [
        ("0", "not a range"),
        ("5-3", "not a range"),
        ("x", "not an item number"),
        ("1-99999999999", "at most 100000"),
        ("7", "no outbox item 7"),
    ],
)
def test_discard_refuses_bad_ids_with_one_line(tmp_path: Path, arg: str, says: str) -> None:
    r = _run(tmp_path / "home", "outbox", "discard", "--", arg)
    assert r.returncode == 2 and says in r.stderr and len(r.stderr.splitlines()) == 1
    _clean(r)
