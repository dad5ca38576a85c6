"""The threat list (tests/reliability/THREATS.md) as data: its rows, the surface × threat
matrix they cover, and the tests they name.

tests/reliability/test_threat_list.py keeps the list honest (every row well formed, every test
it names exists); tests/reliability/run_all.py runs every named test and prints the figures.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

THREATS_MD = Path(__file__).resolve().parents[1] / "reliability" / "THREATS.md"

SURFACES = (
    "CLI flags",
    "CLI files/stdin",
    "draft files",
    "profiles",
    "SMTP peer",
    "HTTP peer",
    "local relay SMTP side",
    "local relay HTTP side",
    "preview",
    "files on disk",
    "kill/signals",
    "window",
)
THREATS = ("malformed", "huge", "endless", "slow", "deceptive", "hostile")
# How a case ends: refused with a message naming the field; failed or unknown with the reason
# (never resent); dropped within a bound (nobody to tell); the person is asked; a warning and
# the send proceeds; handled safely (nothing to refuse: the harm is made impossible).
OUTCOMES = ("refused", "failed", "unknown", "dropped", "asked", "warned", "handled")

_ROW = re.compile(r"^\|(?P<cells>.+)\|\s*$")


@dataclass(frozen=True)
class Threat:
    surface: str
    threat: str
    outcome: str
    what: str
    test: str  # tests/…/file.py::test_name, or "open: why" for a known gap

    @property
    def is_open(self) -> bool:
        return self.test.startswith("open")


def rows(text: str | None = None) -> list[Threat]:
    """Every row of the list's tables whose first cell names a surface."""
    text = THREATS_MD.read_text(encoding="utf-8") if text is None else text
    found = []
    for line in text.splitlines():
        m = _ROW.match(line)
        if not m:
            continue
        cells = [c.strip() for c in m["cells"].split("|")]
        if len(cells) != 5 or cells[0] not in SURFACES:
            continue
        surface, threat, outcome, what, test = cells
        found.append(Threat(surface, threat, outcome, what, test.strip("`")))
    return found


def problems(found: list[Threat]) -> list[str]:
    """What is wrong with the rows themselves (not whether their tests pass)."""
    out = []
    for r in found:
        if r.threat not in THREATS:
            out.append(f"{r.surface}: unknown threat class {r.threat!r}")
        if r.outcome not in OUTCOMES and not r.is_open:
            out.append(f"{r.surface} × {r.threat}: unknown outcome {r.outcome!r}")
        if not r.is_open and not re.fullmatch(r"tests/[\w/]+\.py::\w+", r.test):
            out.append(f"{r.surface} × {r.threat}: not a test id: {r.test!r}")
    return out


def node_ids(found: list[Threat]) -> list[str]:
    return sorted({r.test for r in found if not r.is_open})


def matrix(found: list[Threat]) -> str:
    """Surfaces down, threat classes across: how many rows cover each cell (· = none)."""
    count = Counter((r.surface, r.threat) for r in found if not r.is_open)
    head = "| surface | " + " | ".join(THREATS) + " |"
    lines = [head, "|---" * (len(THREATS) + 1) + "|"]
    for s in SURFACES:
        cells = [str(count[(s, t)]) if count[(s, t)] else "·" for t in THREATS]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def outcomes(found: list[Threat]) -> Counter[str]:
    return Counter(r.outcome for r in found if not r.is_open)
