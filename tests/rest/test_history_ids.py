"""The history keeps a REST send's transmission id; a database from before the column gains it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from composer.core.outcome import MessageResult, Status
from composer.store.history import History

OLD_SCHEMA = """
CREATE TABLE sends (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, profile TEXT NOT NULL,
    host TEXT NOT NULL, message_id TEXT NOT NULL, mail_from TEXT NOT NULL,
    rcpt_to TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '', status TEXT NOT NULL,
    code INTEGER, reply TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
    refused TEXT NOT NULL DEFAULT '{}', attempts INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sends (time, profile, host, message_id, mail_from, rcpt_to, status, code, reply)
VALUES ('2025-01-01T00:00:00+00:00', 'old', 'smtp.sparkpostmail.com:587', '<a@x>',
        'ann@example.com', '["bob@example.com"]', 'sent', 250, '2.0.0 OK');
"""


def result(transmission_id: str | None = None) -> MessageResult:
    return MessageResult(index=0, message_id="<b@x>", mail_from="ann@example.com",
                         rcpt_to=["bob@example.com"], size=9, status=Status.SENT, code=200,
                         reply="OK", attempts=1, transmission_id=transmission_id)  # fmt: skip


def test_an_old_database_gains_the_column_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    with History(path) as history:
        (old,) = history.recent()
        assert (old.profile, old.code, old.transmission_id) == ("old", 250, None)
        history.record(profile="rest", host="api.sparkpost.com:443", subject="s",
                       result=result(transmission_id="11668787484950529"))  # fmt: skip
        history.record(profile="smtp", host="h:587", subject="s", result=result())  # SMTP: no id
    with History(path) as again:  # opening once more migrates nothing and loses nothing
        smtp, rest, old = again.recent()
    assert rest.transmission_id == "11668787484950529" and rest.as_json()["transmission_id"]
    assert smtp.transmission_id is None and old.profile == "old"
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(sends)")]
    assert columns.count("transmission_id") == 1


def test_two_openers_of_an_old_database_both_work(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    first, second = History(path), History(path)  # the window and the CLI, say
    try:
        first.record(profile="p", host="h", subject="s", result=result(transmission_id="1"))
        assert [e.transmission_id for e in second.recent()] == ["1", None]
    finally:
        first.close()
        second.close()
