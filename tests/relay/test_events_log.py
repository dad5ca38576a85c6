"""The local relay's event log (relay/events.py): the events of what it delivers, per
recipient, with the documented test domains' fates, bounded in memory and on disk, and kept
across a restart beside the Maildir."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

from composer.relay.events import EVENTS_FILE, EventLog, decode_cursor
from composer.relay.fanout import parse_request
from composer.relay.sink import Sink

MESSAGE = (b"From: ann@example.org\r\nTo: bob@example.org\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n"
           b"X-MSYS-API: {\"campaign_id\": \"autumn\"}\r\n\r\nHello\r\n")  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def deliver(sink: Sink, *rcpts: str) -> str:
    tid, _ = sink.accept(parse_request(MESSAGE), "ann@example.org", list(rcpts))
    return tid


def types(doc: dict) -> list[tuple[str, str]]:
    return sorted((ev["rcpt_to"], ev["type"]) for ev in doc["results"])


def test_each_recipient_gets_its_injection_and_its_fate(tmp_path: Path) -> None:
    clock = Clock()
    sink = Sink(tmp_path)
    sink.events = EventLog(tmp_path, defer_seconds=60, clock=clock)
    tid = deliver(sink, "bob@example.org", "gone@bounce.example.com", "slow@defer.example.com")
    doc = sink.events.search({"transmission_ids": tid})
    assert types(doc) == [
        ("bob@example.org", "delivery"), ("bob@example.org", "injection"),
        ("gone@bounce.example.com", "bounce"), ("gone@bounce.example.com", "injection"),
        ("slow@defer.example.com", "delay"), ("slow@defer.example.com", "injection"),
    ]  # fmt: skip
    bounce = next(ev for ev in doc["results"] if ev["type"] == "bounce")
    assert (bounce["bounce_class"], bounce["error_code"]) == ("10", "550")
    assert bounce["campaign_id"] == "autumn" and bounce["subject"] == "Café"
    # the delayed one is delivered once its time has come, not before
    clock.now += 59
    assert ("slow@defer.example.com", "delivery") not in types(sink.events.search({}))
    clock.now += 2
    assert ("slow@defer.example.com", "delivery") in types(sink.events.search({}))
    # newest first, as the API sorts
    stamps = [ev["timestamp"] for ev in sink.events.search({})["results"]]
    assert stamps == sorted(stamps, reverse=True)


def test_events_outlive_the_relay_and_a_pending_delivery_too(tmp_path: Path) -> None:
    clock = Clock()
    first = Sink(tmp_path)
    first.events = EventLog(tmp_path, defer_seconds=5, clock=clock)
    tid = deliver(first, "slow@defer.example.com")
    path = tmp_path / EVENTS_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    clock.now += 6
    later = EventLog(tmp_path, clock=clock)  # another process, after the first one ended
    doc = later.search({"transmission_ids": tid})
    assert [ev["type"] for ev in doc["results"]] == ["delivery", "delay", "injection"]
    # asked again (a third process): the delivery is there once, not made twice
    again = EventLog(tmp_path, clock=clock).search({"transmission_ids": tid})
    assert [ev["type"] for ev in again["results"]] == ["delivery", "delay", "injection"]


def test_bounded_in_memory_and_on_disk(tmp_path: Path) -> None:
    sink = Sink(tmp_path)
    sink.events = EventLog(tmp_path, max_events=50)
    for i in range(60):
        deliver(sink, f"r{i}@example.org")  # 2 events each: 120 logged
    assert sink.events.search({"per_page": "10000"})["total_count"] == 50
    lines = (tmp_path / EVENTS_FILE).read_text().splitlines()
    assert len(lines) <= 100  # rewritten whole once it had grown to twice the limit
    # the newest are the ones kept
    kept = {ev["rcpt_to"] for ev in EventLog(tmp_path, max_events=50).search({})["results"]}
    assert "r59@example.org" in kept and "r0@example.org" not in kept


def test_a_damaged_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    sink = Sink(tmp_path)
    tid = deliver(sink, "bob@example.org")
    with open(tmp_path / EVENTS_FILE, "a") as f:
        f.write('{"type": "deliv')  # a crash mid-line
        f.write("\n[1, 2]\n\x00\xff garbage\n")
    doc = EventLog(tmp_path).search({"transmission_ids": tid})
    assert [ev["type"] for ev in doc["results"]] == ["delivery", "injection"]


def test_the_cursor_names_the_last_event_shown(tmp_path: Path) -> None:
    sink = Sink(tmp_path)
    deliver(sink, *[f"r{i}@example.org" for i in range(3)])
    first = sink.events.search({"per_page": "4"})
    last = first["results"][-1]
    cursor = first["links"]["next"].split("cursor=")[1].replace("%3D", "=")
    assert decode_cursor(cursor) == (last["timestamp"], last["event_id"])
    # events logged between two pages neither repeat nor shift the next page
    deliver(sink, "late@example.org")
    second = sink.events.search({"per_page": "4", "cursor": cursor})
    shown = [ev["event_id"] for ev in first["results"] + second["results"]]
    assert len(shown) == len(set(shown)) == 6
    assert "late@example.org" not in json.dumps(second["results"])
