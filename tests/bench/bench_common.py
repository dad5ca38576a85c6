"""Shared helpers for the benchmarks in tests/bench (not collected by pytest)."""

from __future__ import annotations

import math
import os
import statistics
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
REPO = HERE.parents[1]
TEMPLATES = (REPO / ".." / "shared" / "templates").resolve()

# Where the bare baselines' setHtml documents live. With no base URL, setHtml loads a data: URL
# (a new opaque origin on every load), and about one load in nine then waited ~5 s for
# loadFinished; that stall read as the racoon template's p95 ≈ 5 s in every run. A fixed local
# origin — like the preview's own fixed composer-preview: URL — gave 0 stalls in 45 loads,
# against 2 in 45 for data: (`tests/bench/bench_preview.py`, diagnosis in README Performance).
BARE_BASE_URL = "file:///composer-bench/"


def qt_env() -> None:
    """Headless Qt like the tests (offscreen unless the caller chose a platform)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if getattr(os, "geteuid", lambda: -1)() == 0:  # Chromium refuses root with its sandbox
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.webenginecontext.debug=false")


def templates() -> list[Path]:
    if not TEMPLATES.is_dir():
        sys.exit(f"real templates not found at {TEMPLATES}")
    return sorted(TEMPLATES.glob("*.html"))


def make_draft(html: str, engine: str) -> Any:
    """``html`` as an HTML body with "Relay inlines CSS" on, so every edit runs ``engine``.
    Composer is imported here, not above: the start-up benchmark times its first import."""
    from composer.core.draft import BodyFormat, Draft, Options, Recipient

    return Draft(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Bench",
        body=html,
        body_format=BodyFormat.HTML,
        options=Options(inline_css=True),
        inline_engine=engine,
    )


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    if not s:
        return math.nan
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": round(statistics.median(values), 2),
        "p95": round(pct(values, 95), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
    }


def scale_template(html: str, factor: int) -> str:
    """The template with its body content repeated ``factor`` times (same CSS, N× the markup)."""
    lower = html.lower()
    b = lower.find("<body")
    start = lower.find(">", b) + 1
    end = lower.rfind("</body")
    if b < 0 or end < start:
        return html * factor
    return html[:start] + html[start:end] * factor + html[end:]


def pss_tree_kb(pid: int) -> tuple[int, int]:
    """(PSS in kB, process count) of ``pid`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, count, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            count += 1
        except OSError:
            pass
        todo.extend(children.get(p, []))
    return total, count


def keep_none_alive() -> None:
    """Work around a PySide6 6.12 refcount bug: QSyntaxHighlighter.setFormat() and
    setCurrentBlockState() each drop a reference to None that they never took, so highlighting
    a large template a few times aborts Python 3.11 ("none_dealloc"). Lend None 2**40
    references (no time cost) so that a long benchmark process survives. Reported, not fixed
    here: composer/gui/editor.py is where the product needs the same guard."""
    import ctypes

    # Add to None's reference count in place: a list holding None would cost the cyclic GC a
    # pass over every item (a 200 ms stall that the typing benchmark would then report).
    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
