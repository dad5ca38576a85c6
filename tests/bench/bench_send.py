"""Throughput of `composer send --seed-list` against raw smtplib, in one run, same server.

    cd tests && ../.venv/bin/python -m bench.bench_send [--seeds 500] [--runs 3] [--json F]

Both send the same number of ~4 KB messages over STARTTLS with AUTH LOGIN to an aiosmtpd sink
on 127.0.0.1 (its own process), reusing each connection for 100 messages. Printed: the send
phase of `composer send` (its own report's elapsed time) and the whole command (process start,
imports, rendering, building included), next to raw smtplib doing only the sending.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import smtplib
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import trustme
from support.cli import composer_command, send_args
from support.net import free_port

HERE = Path(__file__).resolve().parent


def raw_smtplib(port: int, ca: str, messages: list[tuple[str, str, bytes]]) -> float:
    ctx = ssl.create_default_context(cafile=ca)
    start = time.perf_counter()
    for i in range(0, len(messages), 100):
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
        s.starttls(context=ctx)
        s.login("SMTP_Injection", "bench-key")
        for frm, to, data in messages[i : i + 100]:
            s.sendmail(frm, [to], data)
        s.quit()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="composer-bench-"))
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(tmp / "cert.pem")
    cert.private_key_pem.write_to_path(tmp / "key.pem")
    ca.cert_pem.write_to_path(tmp / "ca.pem")
    port = free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "smtp_sink.py"),
            str(port),
            str(tmp / "cert.pem"),
            str(tmp / "key.pem"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"

    body = tmp / "body.md"
    body.write_text("# Spring sale\n\n" + "Lorem ipsum dolor sit amet. " * 100 + "\n")
    seeds = tmp / "seeds.txt"
    seeds.write_text("".join(f"seed{i}@example.com\n" for i in range(args.seeds)))
    env = {**os.environ, "COMPOSER_API_KEY": "bench-key", "COMPOSER_HOME": str(tmp / "home")}
    connection = ["--provider", "custom", "--host", "127.0.0.1", "--port", str(port),
                  "--ca-file", str(tmp / "ca.pem")]  # fmt: skip
    base = [*composer_command(), *send_args(body, *connection, seeds=seeds, subject="Bench")]

    # The same bytes for raw smtplib: build them once with --dry-run --eml.
    subprocess.run(
        [*base, "--dry-run", "--eml", str(tmp / "eml")], env=env, check=True, capture_output=True
    )
    raw_msgs = [
        ("ann@example.com", f"seed{i}@example.com", p.read_bytes())
        for i, p in enumerate(sorted((tmp / "eml").glob("*.eml")))
    ]

    phase, whole, raw = [], [], []
    for _ in range(args.runs):
        raw.append(raw_smtplib(port, str(tmp / "ca.pem"), raw_msgs))
        t0 = time.perf_counter()
        out = subprocess.run([*base, "--json"], env=env, check=True, capture_output=True, text=True)
        whole.append(time.perf_counter() - t0)
        report = json.loads(out.stdout)
        assert report["sent"] == args.seeds, report
        phase.append(report["elapsed"])

    sink.stdin.close()
    sink.wait(timeout=30)
    n = args.seeds

    def row(name: str, times: list[float]) -> dict[str, float | str]:
        med = statistics.median(times)
        return {
            "name": name,
            "median_s": round(med, 3),
            "min_s": round(min(times), 3),
            "max_s": round(max(times), 3),
            "msgs_per_s": round(n / med, 1),
        }

    rows = [
        row("raw smtplib, reuse 100/connection", raw),
        row("composer send: send phase", phase),
        row("composer send: whole command", whole),
    ]
    ratio = rows[1]["msgs_per_s"] / rows[0]["msgs_per_s"]  # type: ignore[operator]
    print(f"{n} messages over STARTTLS + AUTH LOGIN to a loopback aiosmtpd, {args.runs} runs")
    print(f"{'':36} {'median':>8} {'min':>8} {'max':>8} {'msg/s':>8}")
    for r in rows:
        print(
            f"{r['name']:36} {r['median_s']:>8} {r['min_s']:>8} {r['max_s']:>8} "
            f"{r['msgs_per_s']:>8}"
        )
    print(f"send phase vs raw smtplib: {ratio:.2f}x the messages per second (budget >= 0.8x)")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "ratio": ratio}, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
