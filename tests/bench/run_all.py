"""Run every benchmark, print one table, write a JSON report. Never fails on a time.

    .venv/bin/python tests/bench/run_all.py [--quick] [--out FILE]

This file imports nothing of the tests; it starts each benchmark as a module from the tests
folder (``python -m bench.bench_send``), so that ``support`` and ``bench`` import without anyone
editing ``sys.path`` (see tests/support/__init__.py). The report goes to ``--out``, by default
into the run's own temporary folder (its path is printed at the end): results are a record of
one machine on one day and are never committed.

Each benchmark runs in its own process (start-up ones spawn one process per run). Repetitions
are kept small so the suite ends in well under 15 minutes on 2 noisy cores: 12 timed
keystrokes per template and engine, 6 per scale step, one 200-key burst per engine, 5 start-ups
per configuration, 2 memory samples, 3 send runs of 500 and 1 run per send scale step, then one
run of 500 through the delay proxy at each of 20 and 100 ms (raw smtplib: 100 messages there).
Headless: QT_QPA_PLATFORM=offscreen unless set (run under `xvfb-run -a` with
QT_QPA_PLATFORM=xcb for X11 figures).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
PY = sys.executable


def run(module: str, args: list[str], out: Path) -> dict:
    cmd = [PY, "-m", f"bench.{module}", *args, "--json", str(out)]
    print("$", " ".join(cmd[1:]), flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=TESTS)
    for line in proc.stdout.splitlines():
        print("   ", line, flush=True)
    if proc.returncode != 0 or not out.exists():
        tail = "\n".join(proc.stderr.splitlines()[-15:])
        print(f"    {module} failed (exit {proc.returncode}):\n{tail}", flush=True)
        return {"error": f"exit {proc.returncode}", "stderr_tail": tail}
    data = json.loads(out.read_text())
    data["wall_s"] = round(time.perf_counter() - t0, 1)
    return data


def growth(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log y on log x: 1 = linear, 2 = quadratic."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    den = sum((a - mx) ** 2 for a in lx)
    return round(sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / den, 2)


def verdict(ok: bool) -> str:
    return "holds" if ok else "**misses**"


def table(report: dict) -> str:
    rows = [
        "| # | measure | composer | baseline (same run) | ratio | budget | verdict |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    p = report.get("preview", {})
    for r in p.get("latency", []):
        budget = 1.5 if r["engine"] == "premailer" else 1.1
        c, b = r["composer_ms"], r["bare_ms"]
        rows.append(
            f"| 1 | keystroke → preview, {r['template']} ({r['bytes'] // 1024} KB), "
            f"{r['engine']} | p50 {c['p50']:.0f} / p95 {c['p95']:.0f} ms "
            f"| bare setHtml p50 {b['p50']:.0f} / p95 {b['p95']:.0f} ms "
            f"| {r['ratio_p50']}× / {r['ratio_p95']}× | ≤ {budget}× "
            f"| {verdict(r['ratio_p50'] <= budget and r['ratio_p95'] <= budget)} |"
        )
    for r in p.get("burst", []):
        rows.append(
            f"| 2 | UI stall, {r['keys']} keys every {r['every_ms']} ms into "
            f"{r['template']}, {r['engine']} | longest gap {r['max_gap_ms']} ms "
            f"(p99 {r['p99_gap_ms']}, {r['gaps_over_16ms']} gaps > 16 ms) | — | — | ≤ 16 ms "
            f"| {verdict(r['max_gap_ms'] <= 16)} |"
        )
    s = report.get("startup", {})
    if "startup" in s:
        st = s["startup"]
        for key, label, base in (
            ("painted_ms", "first paint", "bare-window"),
            ("preview_ms", "preview ready", "bare-web"),
        ):
            c, b = st["composer"][key], st[base][key]
            if c and b:
                ratio = round(c["p50"] / b["p50"], 2)
                rows.append(
                    f"| 3 | start-up → {label} (p50 of {c['n']}) | {c['p50']:.0f} ms "
                    f"[{c['min']:.0f}–{c['max']:.0f}] | {base.replace('-', ' ')}: "
                    f"{b['p50']:.0f} ms [{b['min']:.0f}–{b['max']:.0f}] | {ratio}× | ≤ 1.2× "
                    f"| {verdict(ratio <= 1.2)} |"
                )
        c, b = st["composer"]["painted_ms"], st["bare-web"]["painted_ms"]
        if c and b:
            ratio = round(c["p50"] / b["p50"], 2)
            rows.append(
                f"| 3 | start-up → first paint, vs bare window + web view | {c['p50']:.0f} ms "
                f"| {b['p50']:.0f} ms | {ratio}× | ≤ 1.2× | {verdict(ratio <= 1.2)} |"
            )
        m = s["memory"]
        c, b = m["composer"]["pss_mb"], m["bare-web"]["pss_mb"]
        ratio = round(c["p50"] / b["p50"], 2)
        rows.append(
            f"| 5 | memory: PSS of the process tree, {s['template']} open | {c['p50']} MB "
            f"({m['composer']['processes']} processes) | bare window + web view: {b['p50']} MB "
            f"({m['bare-web']['processes']} processes) | {ratio}× | ≤ 1.2× "
            f"| {verdict(ratio <= 1.2)} |"
        )
    snd = report.get("send", {})
    if "rows" in snd:
        raw, phase, whole = snd["rows"]
        rows.append(
            f"| 4 | send 500 over STARTTLS, send phase | {phase['msgs_per_s']} msg/s "
            f"| raw smtplib: {raw['msgs_per_s']} msg/s | {snd['ratio']:.2f}× | ≥ 0.9× "
            f"| {verdict(snd['ratio'] >= 0.9)} |"
        )
        rows.append(
            f"| 4 | send 500, whole `composer send` command | {whole['msgs_per_s']} msg/s "
            f"| raw smtplib: {raw['msgs_per_s']} msg/s "
            f"| {whole['msgs_per_s'] / raw['msgs_per_s']:.2f}× | (information) | — |"
        )
    for d in snd.get("delayed", []):
        budget = 8.0 if d["rtt_ms"] >= 100 else None
        rows.append(
            f"| 4 | send 500 through a {d['rtt_ms']} ms round trip (delay proxy), default "
            f"settings ({d['connections']} connections opened) | {d['composer_msgs_per_s']} msg/s "
            f"| raw smtplib, sequential: {d['raw_msgs_per_s']} msg/s ({d['raw_messages']} "
            f"messages) | {d['ratio']:.2f}× | "
            + (
                f"≥ {budget:g}× | {verdict(d['ratio'] >= budget)} |"
                if budget
                else "(information) | — |"
            )
        )
    chk = report.get("checks", {})
    if "edit_ms" in chk:
        e, f = chk["edit_ms"], chk["fresh_ms"]
        rows.append(
            f"| 7 | pre-send checks, all families, {chk['template']} ({chk['bytes'] // 1024} KB)"
            f" | after an edit p50 {e['p50']:.0f} / p95 {e['p95']:.0f} ms; never-seen document "
            f"p50 {f['p50']:.0f} ms | — | — | ≤ 50 ms p50 | {verdict(e['p50'] <= 50)} |"
        )
    for engine, g in report.get("growth", {}).get("preview", {}).items():
        rows.append(
            f"| 6 | preview latency growth, {engine}, 1/2/4/8× body | "
            f"{' / '.join(f'{v:.0f}' for v in g['composer_p50'])} ms | bare: "
            f"{' / '.join(f'{v:.0f}' for v in g['bare_p50'])} ms | slope {g['slope']} "
            f"(bytes {' / '.join(str(b // 1024) for b in g['bytes'])} KB) | ≤ 1 (linear) "
            f"| {verdict(g['slope'] <= 1.1)} |"
        )
    gs = report.get("growth", {}).get("send")
    if gs:
        rows.append(
            f"| 6 | send-phase time growth, {' / '.join(map(str, gs['seeds']))} seeds | "
            f"{' / '.join(f'{v:.2f}' for v in gs['phase_s'])} s | raw smtplib: "
            f"{' / '.join(f'{v:.2f}' for v in gs['raw_s'])} s | slope {gs['slope']} "
            f"| ≤ 1 (linear) | {verdict(gs['slope'] <= 1.1)} |"
        )
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    ap.add_argument(
        "--out",
        type=Path,
        help="where to write the JSON report (default: report.json in the run's temporary folder)",
    )
    ap.add_argument("--only", default="", help="comma list of: preview,startup,send,checks")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(","))) or {"preview", "startup", "send", "checks"}
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Measure the app as installed: bytecode compiled (setup-dev.sh and the bundle do this),
    # not recompiled on every start because PYTHONDONTWRITEBYTECODE is set.
    subprocess.run([PY, "-m", "compileall", "-q", str(HERE.parents[1] / "composer")],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    tmp = Path(tempfile.mkdtemp(prefix="composer-bench-"))
    out: Path = args.out or tmp / "report.json"
    q = args.quick
    t0 = time.perf_counter()
    report: dict = {
        "command": " ".join([Path(PY).name, *sys.argv]),
        "machine": f"{platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}",
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    if "preview" in only:
        pargs = [
            "--keys",
            "3" if q else "12",
            "--scale-keys",
            "2" if q else "6",
            "--burst",
            "50" if q else "200",
        ]
        report["preview"] = run("bench_preview", pargs, tmp / "preview.json")
    if "startup" in only:
        report["startup"] = run(
            "bench_startup", ["--runs", "2" if q else "5"], tmp / "startup.json"
        )
    if "send" in only:
        report["send"] = run(
            "bench_send", ["--seeds", "500", "--runs", "1" if q else "3"], tmp / "send.json"
        )
        seeds = [500, 1000] if q else [500, 1000, 2000, 4000]
        phase, raw = [], []
        for n in seeds:
            step = ["--seeds", str(n), "--runs", "1", "--rtt", "0"]
            r = run("bench_send", step, tmp / f"send{n}.json")
            if "rows" in r:
                raw.append(r["rows"][0]["median_s"])
                phase.append(r["rows"][1]["median_s"])
        if len(phase) == len(seeds):
            report.setdefault("growth", {})["send"] = {
                "seeds": seeds,
                "phase_s": phase,
                "raw_s": raw,
                "slope": growth(seeds, phase),
            }
    if "checks" in only:
        report["checks"] = run("bench_checks", ["--runs", "5" if q else "30"], tmp / "checks.json")
    scaling = report.get("preview", {}).get("scaling", [])
    for engine in sorted({r["engine"] for r in scaling}):
        rs = sorted((r for r in scaling if r["engine"] == engine), key=lambda r: r["factor"])
        report.setdefault("growth", {}).setdefault("preview", {})[engine] = {
            "factors": [r["factor"] for r in rs],
            "bytes": [r["bytes"] for r in rs],
            "composer_p50": [r["composer_ms"]["p50"] for r in rs],
            "bare_p50": [r["bare_ms"]["p50"] for r in rs],
            "slope": growth([r["bytes"] for r in rs], [r["composer_ms"]["p50"] for r in rs]),
        }
    report["wall_s"] = round(time.perf_counter() - t0, 1)
    report["table"] = table(report)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print()
    print(f"{report['machine']}; {report['wall_s']} s")
    print(report["table"])
    print(f"\nreport: {out}")


if __name__ == "__main__":
    main()
