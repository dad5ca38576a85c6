"""Hostile input through the command line and the window's model: every input is refused with a
clear message, or accepted with output that is safe and says what it was given — never accepted
silently (altered, or unsafe on the wire), never a traceback.

Safe output: no NUL, no bare CR or LF, no line over 998 bytes, an ASCII header block, no header
the input smuggled in (Bcc:, X-Injected:), and the Subject / display names decode to exactly
what was typed.
"""

from __future__ import annotations

import contextlib
import email
import io
import json
from dataclasses import dataclass
from email import policy
from pathlib import Path
from typing import Any

import pytest

from composer.cli import main as composer_main

INJECT = "Bcc: evil@example.net"
PAYLOADS = {
    "CR": f"a\r{INJECT}",
    "LF": f"a\n{INJECT}",
    "CRLF": "a\r\nX-Injected: 1",
    "NUL": "a\x00b",
    "U+2028": f"a\u2028{INJECT}",
}


@dataclass
class Outcome:
    case: str
    where: str
    verdict: str  # refused | accepted | accepted silently | traceback
    detail: str = ""


def check_bytes(
    data: bytes, subject: str | None = None, names: dict[str, str] | None = None
) -> str:
    """'' when the message is safe and faithful, else what is wrong."""
    if b"\x00" in data:
        return "NUL in the message"
    if data.replace(b"\r\n", b"").count(b"\r") or data.replace(b"\r\n", b"").count(b"\n"):
        return "a bare CR or LF"
    if any(len(line) > 998 for line in data.split(b"\r\n")):
        return "a line over 998 bytes"
    head = data.split(b"\r\n\r\n", 1)[0]
    try:
        head.decode("ascii")
    except UnicodeDecodeError:
        return "8-bit header block"
    for line in head.split(b"\r\n"):
        if line.lower().startswith((b"bcc:", b"x-injected:")):
            return f"injected header {line[:40]!r}"
    msg = email.message_from_bytes(data, policy=policy.default)
    if subject is not None and str(msg["Subject"]) != subject:
        return f"subject altered: {str(msg['Subject'])[:60]!r}"
    for header, name in (names or {}).items():
        got = msg[header].addresses[0].display_name if msg[header] else None
        if got != name:
            return f"{header} name altered: {got!r} != {name!r}"
    return ""


def run_cli(tmp: Path, args: list[str]) -> tuple[int, str, bytes | None]:
    out = tmp / "out.eml"
    out.unlink(missing_ok=True)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = composer_main(["send", "--dry-run", "--eml", str(out), *args])
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    data = out.read_bytes() if out.exists() else None
    return code, err.getvalue(), data


def cli_cases(tmp: Path) -> list[tuple[str, list[str], dict[str, Any]]]:
    """(case, flags replacing the defaults, what the output must say)."""
    cases: list[tuple[str, list[str], dict[str, Any]]] = []
    for name, p in PAYLOADS.items():
        body = tmp / f"body-{name}.txt"
        body.write_text(f"line one\n{p}\n", encoding="utf-8", newline="")
        cases += [
            (f"subject {name}", ["--subject", f"Hi {p}"], {"subject": f"Hi {p}"}),
            (
                f"from name {name}",
                ["--from", f'"Ann {p}" <ann@example.com>'],
                {"names": {"From": f"Ann {p}"}},
            ),
            (
                f"to name {name}",
                ["--to", f'"Bob {p}" <bob@example.com>'],
                {"names": {"To": f"Bob {p}"}},
            ),
            (f"to address {name}", ["--to", f"bob{p}@example.com"], {}),
            (f"cc {name}", ["--cc", f"carol{p}@example.com"], {}),
            (f"campaign {name}", ["--campaign", f"c{p}"], {}),
            (f"tag {name}", ["--tag", f"t{p}"], {}),
            (f"meta value {name}", ["--meta", f"k=v{p}"], {}),
            (f"text body {name}", ["--text", str(body)], {}),
            (f"html body {name}", ["--html", str(body)], {}),
        ]
    html5 = tmp / "big.html"
    html5.write_text("<p>" + "x" * (5 * 1024 * 1024) + "</p>", encoding="ascii")
    bad_html = tmp / "bad.html"
    bad_html.write_text(
        "<div><p>unclosed <b><table><td>cell</div></span><<>><script>x</", encoding="utf-8"
    )
    bad_amp = tmp / "bad.amp"
    bad_amp.write_text("<html ⚡4email><body><amp-img src=x></body", encoding="utf-8")
    cc_list = tmp / "cc.txt"
    cc_list.write_text("".join(f"cc{i}@example.com\n" for i in range(1001)), encoding="ascii")
    token = "x" * 2000
    cases += [
        (
            "encoded-word subject",
            ["--subject", "=?utf-8?b?QmNjOiBldmls?="],
            {"subject": "=?utf-8?b?QmNjOiBldmls?="},
        ),
        (
            "encoded-word from name",
            ["--from", '"=?utf-8?q?Boss?=" <ann@example.com>'],
            {"names": {"From": "=?utf-8?q?Boss?="}},
        ),
        ("IDN address", ["--to", "bob@bücher.example"], {}),
        ("UTF-8 local part", ["--to", "jörg@example.com"], {}),
        ("1001 cc recipients", ["--cc-file", str(cc_list)], {}),
        ("metadata not an object", ["--metadata", "[1, 2, 3]"], {}),
        ("metadata 100 KB", ["--metadata", json.dumps({"k": "v" * 100_000})], {}),
        ("5 MB single-line HTML", ["--html", str(html5)], {}),
        ("token too long to fold", ["--subject", token], {"subject": token}),
        ("malformed HTML", ["--html", str(bad_html)], {}),
        ("malformed AMP", ["--amp", str(bad_amp)], {}),
    ]
    return cases


BASE = {"--from": "ann@example.com", "--to": "bob@example.com", "--subject": "Hi"}


def cli_outcomes(tmp: Path) -> list[Outcome]:
    plain = tmp / "plain.txt"
    plain.write_text("Hello\n", encoding="utf-8")
    outcomes = []
    for case, flags, expect in cli_cases(tmp):
        args: list[str] = []
        for flag, value in BASE.items():
            if flag not in flags:
                args += [flag, value]
        if not any(f in flags for f in ("--text", "--html")):
            args += ["--text", str(plain)]
        code, err, data = run_cli(tmp, [*args, *flags])
        if code == 1 or "Traceback" in err or "internal problem" in err:
            outcomes.append(Outcome(case, "cli", "traceback", err[-300:]))
        elif code == 0 and data is not None:
            wrong = check_bytes(data, expect.get("subject"), expect.get("names"))
            outcomes.append(
                Outcome(case, "cli", "accepted silently" if wrong else "accepted", wrong)
            )
        elif code == 2 and err.strip():
            outcomes.append(Outcome(case, "cli", "refused", err.strip().splitlines()[-1][:120]))
        else:
            outcomes.append(
                Outcome(
                    case, "cli", "accepted silently", f"exit {code}, no message: {err[-200:]!r}"
                )
            )
    return outcomes


def model_outcomes() -> list[Outcome]:
    """The window's model: DraftModel.update, its problems, then the build it would send."""
    from composer.core.build import build_messages
    from composer.core.draft import Draft, Recipient
    from composer.core.validate import validate
    from composer.gui.model import DraftModel

    base = Draft(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Hi",
        body="Hello",
    )
    cases: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    for name, p in PAYLOADS.items():
        cases += [
            (f"subject {name}", {"subject": f"Hi {p}"}, {"subject": f"Hi {p}"}),
            (
                f"from name {name}",
                {"from_addr": Recipient("ann@example.com", f"Ann {p}")},
                {"names": {"From": f"Ann {p}"}},
            ),
            (f"to address {name}", {"to": [Recipient(f"bob{p}@example.com")]}, {}),
            (f"campaign {name}", {"campaign_id": f"c{p}"}, {}),
            (f"tag {name}", {"tags": [f"t{p}"]}, {}),
            (f"metadata value {name}", {"metadata": {"k": f"v{p}"}}, {}),
            (f"body {name}", {"body": f"x{p}"}, {}),
        ]
    cases += [
        (
            "encoded-word subject",
            {"subject": "=?utf-8?b?QmNjOiBldmls?="},
            {"subject": "=?utf-8?b?QmNjOiBldmls?="},
        ),
        ("metadata not an object", {"metadata": [1, 2]}, {}),
        ("metadata 100 KB", {"metadata": {"k": "v" * 100_000}}, {}),
        ("1001 to recipients", {"to": [Recipient(f"r{i}@example.com") for i in range(1001)]}, {}),
        ("token too long to fold", {"subject": "y" * 2000}, {"subject": "y" * 2000}),
    ]
    outcomes = []
    for case, changes, expect in cases:
        try:
            model = DraftModel(base)
            model.update(**changes)
            model.set_problems(validate(model.snapshot()))  # what the preview pipeline does
            if model.errors:
                outcomes.append(Outcome(case, "model", "refused", str(model.errors[0])[:120]))
                continue
            wrong = ""
            for m in build_messages(model.snapshot()):
                wrong = wrong or check_bytes(m.data, expect.get("subject"), expect.get("names"))
            outcomes.append(
                Outcome(case, "model", "accepted silently" if wrong else "accepted", wrong)
            )
        except Exception as exc:  # a traceback the window would show
            outcomes.append(Outcome(case, "model", "traceback", f"{type(exc).__name__}: {exc}"))
    return outcomes


def run_hostile(tmp: Path) -> dict[str, Any]:
    outcomes = cli_outcomes(tmp) + model_outcomes()
    silent = [o for o in outcomes if o.verdict == "accepted silently"]
    tracebacks = [o for o in outcomes if o.verdict == "traceback"]
    print(
        f"\nhostile input: {len(outcomes)} inputs tried, "
        f"{sum(o.verdict == 'refused' for o in outcomes)} refused, "
        f"{sum(o.verdict == 'accepted' for o in outcomes)} accepted safely, "
        f"{len(silent)} accepted silently, {len(tracebacks)} tracebacks"
    )
    for o in silent + tracebacks:
        print(f"  {o.where}: {o.case}: {o.verdict}: {o.detail}")
    return {
        "tried": len(outcomes),
        "silent": len(silent),
        "tracebacks": len(tracebacks),
        "bad": [f"{o.where}: {o.case}: {o.detail}" for o in silent + tracebacks],
    }


@pytest.mark.filterwarnings("ignore")
def test_hostile_input_is_refused_or_safe(tmp_path: Path) -> None:
    figures = run_hostile(tmp_path)
    assert figures["bad"] == []
