"""The threat list stays honest: every row is well formed and names a test that exists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import threats

ROOT = Path(__file__).resolve().parents[2]


def test_every_row_is_well_formed() -> None:
    found = threats.rows()
    assert len(found) >= 100, "the list lost its rows (is THREATS.md's table intact?)"
    assert threats.problems(found) == []


def test_a_malformed_row_is_caught() -> None:
    bad = (
        "| SMTP peer | gloomy | refused | x | tests/a.py::test_b |\n"
        "| window | slow | meh | x | nope |"
    )
    assert len(threats.problems(threats.rows(bad))) == 3


def test_every_test_named_exists() -> None:
    ids = threats.node_ids(threats.rows())
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", "", *ids],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    collected = {line.split("[")[0] for line in done.stdout.splitlines() if "::" in line}
    assert set(ids) <= collected, sorted(set(ids) - collected)
