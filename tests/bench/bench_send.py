"""Throughput of `composer send --seed-list` against raw smtplib, in one run, same server.

    cd tests && ../.venv/bin/python -m bench.bench_send [--seeds 500] [--runs 3] [--rtt 0,20,100]
        [--json F]

Both send the same number of ~4 KB messages over STARTTLS with AUTH LOGIN to an aiosmtpd sink
on 127.0.0.1 (its own process; it advertises PIPELINING, as production MTAs do), reusing each
connection for 100 messages. Printed: the send phase of `composer send` (its own report's
elapsed time) and the whole command (process start, imports, rendering, building included),
next to raw smtplib doing only the sending, sequentially, one connection at a time.

Then, for each round trip in ``--rtt`` above 0 ms, both again through delay_proxy.DelayProxy
(each chunk held half the round trip each way): composer with its default settings (4
connections, pipelining), raw smtplib on ``--raw-seeds`` messages (100 by default: at
100 ms it needs 4 round trips a message, 40 s per 100, and its rate per message does not
change with the count; each of its connections carries 100 as in the direct run).
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
from bench.delay_proxy import DelayProxy
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
    ap.add_argument("--rtt", default="0,20,100", help="round trips in ms (0: direct)")
    ap.add_argument("--raw-seeds", type=int, default=100, help="raw smtplib's count behind a delay")
    args = ap.parse_args()
    rtts = [int(x) for x in args.rtt.split(",") if x.strip()]

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

    delayed = []
    for rtt in (r for r in rtts if r > 0):
        with DelayProxy(port, rtt / 1000) as proxy:
            via = [*connection]
            via[via.index("--port") + 1] = str(proxy.port)
            cmd = [*composer_command(),
                   *send_args(body, *via, seeds=seeds, subject="Bench"), "--json"]  # fmt: skip
            t_raw = raw_smtplib(proxy.port, str(tmp / "ca.pem"), raw_msgs[: args.raw_seeds])
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            rep = json.loads(out.stdout)
            assert rep["sent"] == args.seeds, rep
            raw_rate = min(args.raw_seeds, len(raw_msgs)) / t_raw
            rate = args.seeds / rep["elapsed"]
            delayed.append(
                {
                    "rtt_ms": rtt,
                    "raw_msgs_per_s": round(raw_rate, 2),
                    "raw_messages": min(args.raw_seeds, len(raw_msgs)),
                    "composer_msgs_per_s": round(rate, 2),
                    "composer_s": round(rep["elapsed"], 2),
                    "connections": rep["connections"],
                    "ratio": round(rate / raw_rate, 2),
                }
            )

    phase, whole, raw = [], [], []
    for _ in range(args.runs if 0 in rtts else 0):
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

    result: dict[str, object] = {"delayed": delayed}
    if raw:
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
        print(f"send phase vs raw smtplib: {ratio:.2f}x the messages per second (budget >= 0.9x)")
        result.update(rows=rows, ratio=ratio)
    for d in delayed:
        budget = 8.0 if d["rtt_ms"] >= 100 else None
        print(
            f"{d['rtt_ms']} ms round trip: composer {d['composer_msgs_per_s']} msg/s "
            f"({n} in {d['composer_s']} s, {d['connections']} connections), raw smtplib "
            f"{d['raw_msgs_per_s']} msg/s ({d['raw_messages']} messages): {d['ratio']:.2f}x"
            + (f" (budget >= {budget:g}x)" if budget else "")
        )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
