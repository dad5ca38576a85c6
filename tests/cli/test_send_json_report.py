"""`composer send --json` prints a report on stdout whatever ends the command (issue 12, item 10:
every failure still prints the report) — a refused draft and a flag's unreadable file too."""

from __future__ import annotations

import json
from pathlib import Path


def test_a_refused_draft_still_prints_the_report_with_its_problems(
    run_composer, tmp_path: Path
) -> None:
    body = tmp_path / "b.md"
    body.write_text("hi", encoding="utf-8")
    r = run_composer(
        "send", "--from", "bad", "--to", "b@example.com", "--subject", "s",
        "--markdown", str(body), "--json",
    )
    assert r.code == 2 and "Traceback" not in r.err
    report = json.loads(r.out)
    assert report["exit_code"] == 2 and report["messages"] == [] and report["sent"] == 0
    assert [p["field"] for p in report["problems"] if p["severity"] == "error"] == ["from"]


def test_an_unreadable_body_file_still_prints_the_report(run_composer, tmp_path: Path) -> None:
    r = run_composer(
        "send", "--from", "a@example.com", "--to", "b@example.com", "--subject", "s",
        "--markdown", str(tmp_path / "missing.md"), "--json", "--dry-run",
    )
    assert r.code == 2 and r.err.count("\n") == 1 and "--markdown" in r.err
    report = json.loads(r.out)
    assert report["exit_code"] == 2 and report["dry_run"] is True
    assert "--markdown" in report["error"] and report["problems"] == []
