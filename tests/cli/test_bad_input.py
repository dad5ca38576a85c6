"""Bad input at every command: exit 2, one line on stderr naming the field, no traceback, and
nothing written (no .eml, no outbox or history row, nothing in the sandbox).

Each case runs the real `composer` command in a subprocess. Raw bytes reach argv and the
environment as Python's surrogate escapes ("\\udcff" is the byte 0xFF): subprocess encodes
them back with os.fsencode, so the command sees exactly the bytes a shell would pass.

Paths are the one place raw bytes are legitimate on Linux: a file whose name is not UTF-8 is
read like any other (see test_undecodable_path_is_read).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

FF = "\udcff"  # the byte 0xFF: never valid in UTF-8
LONE = "\udced\udca0\udc80"  # the bytes of U+D800 (a lone surrogate) as UTF-8 would spell it
JSON_LONE = '"\\ud800"'  # a lone surrogate written as a JSON escape
DEEP = "[" * 1000 + "]" * 1000
DEEP_OBJ = '{"a":' * 1000 + "1" + "}" * 1000
BIG_INT = "9" * 4400


@dataclass
class Case:
    id: str
    args: list[str]
    field: str  # what the one stderr line must name
    stdin: bytes | None = None
    env: dict[str, str] = field(default_factory=dict)
    files: Callable[[Path], None] | None = None  # sets up files in the test's folder


def send(*extra: str, body: bool = True, mode: str = "dry") -> list[str]:
    """A valid `composer send` plus ``extra``; later flags win or add to the list."""
    args = ["send", "--from", "ann@example.com", "--to", "bob@example.com", "--subject", "Hi"]
    if body:
        args += ["--text", "body.txt"]
    if mode == "dry":
        args += ["--dry-run", "--eml", "out.eml"]
    elif mode == "json":
        args += ["--dry-run", "--json"]
    else:  # a real send through the built-in local relay: it would write outbox and history
        args += ["--provider", "local", "--eml", "out.eml"]
    return [*args, *extra]


def _write(name: str, data: bytes) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        (folder / name).write_bytes(data)

    return make


def _draft(doc_text: str) -> Callable[[Path], None]:
    return _write("d.json", doc_text.encode("utf-8", "surrogatepass"))


def _fifo(folder: Path) -> None:
    os.mkfifo(folder / "d.json")


def _folder(folder: Path) -> None:
    (folder / "d.json").mkdir()


def _huge_draft(folder: Path) -> None:
    with open(folder / "d.json", "wb") as f:
        f.write(b'{"body": "')
        f.write(b"x" * (21 * 1000 * 1000))
        f.write(b'"}')


def _draft_args(*extra: str) -> list[str]:
    return ["send", "--draft", "d.json", "--dry-run", "--eml", "out.eml", *extra]


GOOD_DRAFT = {
    "from": "ann@example.com",
    "to": ["bob@example.com"],
    "subject": "Hi",
    "body": "hello",
    "body_format": "text",
}


def _draft_with(**changes: object) -> Callable[[Path], None]:
    return _draft(json.dumps({**GOOD_DRAFT, **changes}))


def _draft_raw(key: str, raw_json: str) -> Callable[[Path], None]:
    """A good draft whose ``key`` holds JSON text json.dumps would not write (deep, huge…)."""
    doc = json.dumps(GOOD_DRAFT)[:-1] + f', "{key}": {raw_json}}}'
    return _draft(doc)


TEXT_FLAGS = [
    ("--subject", None),
    ("--from", None),
    ("--to", None),
    ("--cc", None),
    ("--bcc", None),
    ("--archive", None),
    ("--campaign", None),
    ("--tag", None),
    ("--ip-pool", None),
    ("--meta", "k={}"),
    ("--metadata", '{{"k": "{}"}}'),
]
DURATIONS = ["--timeout", "--final-timeout", "--retry-delay"]
BAD_DURATIONS = ["nan", "inf", "-inf", "-1", "0", "1e300"]


def cases() -> list[Case]:
    out: list[Case] = []
    # 1, 2: invalid UTF-8 and lone surrogates in arguments, each text flag, each output mode
    for flag, shape in TEXT_FLAGS:
        for label, bad in (("ff", FF), ("lone", LONE)):
            value = (shape or "{}").format(bad) if shape else f"x{bad}"
            for mode in ("dry", "json", "send"):
                out.append(Case(f"{flag}-{label}-{mode}", send(flag, value, mode=mode), flag))
    for flag in ("--profile", "--host", "--subaccount", "--workspace", "--api-url"):
        out.append(Case(f"{flag}-ff", send(flag, f"x{FF}", mode="send"), flag))
    out.append(Case("--substitution-data-ff", send("--api", "rest", "--substitution-data",
                                                   f'{{"k": "{FF}"}}'), "--substitution-data"))
    # 3: invalid UTF-8 on standard input and in files
    for flag in ("--html", "--text", "--markdown"):
        out.append(Case(f"{flag}-stdin-ff", send(flag, "-", body=False), flag, stdin=b"a\xffb"))
        out.append(Case(f"{flag}-stdin-ff-json", send(flag, "-", body=False, mode="json"), flag,
                        stdin=b"\xed\xa0\x80"))
    out.append(Case("--plain-text-file-ff", send("--plain-text", "bad.txt"), "--plain-text",
                    files=_write("bad.txt", b"\xff")))
    out.append(Case("--seed-list-file-ff", send("--seed-list", "bad.txt")[:3] + send(
        "--seed-list", "bad.txt")[5:], "--seed-list", files=_write("bad.txt", b"a@b.c\xff\n")))
    out.append(Case("--cc-file-ff", send("--cc-file", "bad.txt"), "--cc-file",
                    files=_write("bad.txt", b"c@example.com\n\xff@x\n")))
    # 4-7: JSON values: lone surrogates, nesting ~1000 deep, 4300+ digit integers, NaN
    for flag, fmt in (
        ("--metadata", "{{\"k\": {}}}"),
        ("--meta", "k={}"),
        ("--substitution-data", "{{\"k\": {}}}"),
    ):
        extra = ["--api", "rest"] if flag == "--substitution-data" else []
        for label, raw in (
            ("lone", JSON_LONE),
            ("deep", DEEP),
            ("deepobj", DEEP_OBJ),
            ("bigint", BIG_INT),
            ("nan", "NaN"),
            ("inf", "Infinity"),
            ("1e400", "1e400"),
        ):
            out.append(Case(f"{flag}-json-{label}", send(*extra, flag, fmt.format(raw)), flag))
    out.append(Case("--metadata-deep-bare", send("--metadata", DEEP), "--metadata"))
    # 8: durations: finite and positive, every duration flag, every command that has them
    for flag in DURATIONS:
        for bad in BAD_DURATIONS:
            out.append(Case(f"send{flag}={bad}", send(f"{flag}={bad}", mode="send"), flag))
        out.append(Case(f"resume{flag}=nan", ["outbox", "resume", f"{flag}=nan"], flag))
    for bad in ("nan", "-1", "0", "inf"):
        out.append(Case(f"profile-test-timeout={bad}",
                        ["profile", "test", "local", f"--timeout={bad}"], "--timeout"))
    # 9: numbers too big for what they feed
    out += [
        Case("history-limit-huge", ["history", "-n", "9" * 30], "--limit"),
        Case("history-limit-4300", ["history", "-n", BIG_INT], "--limit"),
        Case("outbox-discard-huge", ["outbox", "discard", "9" * 30], "ID"),
        Case("outbox-resend-huge", ["outbox", "resend", "9" * 30], "ID"),
        Case("send-retries-huge", send("--retries", "9" * 30, mode="send"), "--retries"),
        Case("send-port-huge", send("--port", "9" * 30, mode="send"), "--port"),
        Case("profile-add-port-huge",
             ["profile", "add", "p", "--provider", "local", "--port", "9" * 30], "--port"),
        Case("relay-port-huge", ["relay", "--port", "9" * 30], "--port"),
        Case("relay-http-port-huge", ["relay", "--http-port", "9" * 30], "--http-port"),
    ]
    # other commands' text arguments
    out += [
        Case("profile-add-name-ff", ["profile", "add", f"p{FF}", "--provider", "local"], "NAME"),
        Case("profile-add-host-ff",
             ["profile", "add", "p", "--provider", "custom", "--host", f"h{FF}"], "--host"),
        Case("profile-add-from-ff",
             ["profile", "add", "p", "--provider", "local", "--from", f"a{FF}@b.c"], "--from"),
        Case("profile-show-ff", ["profile", "show", f"p{FF}"], "NAME"),
        Case("profile-remove-ff", ["profile", "remove", f"p{LONE}"], "NAME"),
        Case("profile-default-ff", ["profile", "default", f"p{FF}"], "NAME"),
        Case("relay-host-ff", ["relay", "--host", f"127.0.0.1{FF}"], "--host"),
        Case("resume-host-ff", ["outbox", "resume", "--host", f"h{FF}"], "--host"),
        Case("profile-key-stdin-ff",
             ["profile", "add", "p", "--provider", "sparkpost", "--key-stdin"], "--key-stdin",
             stdin=b"abc\xffdef\n"),
        Case("relay-tls-cert-dev-zero",
             ["relay", "--port", "0", "--tls-cert", "/dev/zero", "--tls-key", "/dev/zero"],
             "--tls-cert"),
    ]
    # the API key in the environment: refused by name, never echoed
    for label, key in (("ff", f"SECRETKEY{FF}x"), ("newline", "SECRETKEY\nx"),
                       ("cr", "SECRETKEY\rx"), ("lone", f"SECRETKEY{LONE}")):
        out.append(Case(f"env-key-{label}", send("--provider", "sparkpost", mode="send"),
                        "COMPOSER_API_KEY", env={"COMPOSER_API_KEY": key}))
    # draft files
    out += [
        Case("draft-malformed", _draft_args(), "--draft", files=_draft('{"subject": ')),
        Case("draft-not-object", _draft_args(), "--draft", files=_draft("[1, 2]")),
        Case("draft-subject-number", _draft_args(), "subject", files=_draft_with(subject=3)),
        Case("draft-tags-text", _draft_args(), "tags", files=_draft_with(tags="a")),
        Case("draft-tag-number", _draft_args(), "tags[0]", files=_draft_with(tags=[1])),
        Case("draft-to-object", _draft_args(), "to", files=_draft_with(to={"a": 1})),
        Case("draft-options-list", _draft_args(), "options", files=_draft_with(options=[])),
        Case("draft-ff", _draft_args(), "--draft", files=_write("d.json", b'{"subject": "\xff"}')),
        Case("draft-subject-lone", _draft_args(), "subject", files=_draft_raw("subject",
                                                                             JSON_LONE)),
        Case("draft-tag-lone", _draft_args(), "tags[0]",
             files=_draft_raw("tags", f"[{JSON_LONE}]")),
        Case("draft-campaign-lone", _draft_args(), "campaign_id",
             files=_draft_raw("campaign_id", JSON_LONE)),
        Case("draft-ip-pool-lone", _draft_args(), "options.ip_pool",
             files=_draft_raw("options", f'{{"ip_pool": {JSON_LONE}}}')),
        Case("draft-meta-key-lone", _draft_args(), "metadata",
             files=_draft_raw("metadata", f"{{{JSON_LONE}: 1}}")),
        Case("draft-to-lone", _draft_args(), "to[0]", files=_draft_raw("to", f"[{JSON_LONE}]")),
        Case("draft-meta-deep", _draft_args(), "metadata", files=_draft_raw("metadata", DEEP)),
        Case("draft-meta-deep-obj", _draft_args(), "metadata",
             files=_draft_raw("metadata", DEEP_OBJ)),
        Case("draft-deep-top", _draft_args(), "--draft", files=_draft(DEEP)),
        Case("draft-meta-bigint", _draft_args(), "metadata",
             files=_draft_raw("metadata", f'{{"n": {BIG_INT}}}')),
        Case("draft-version-bigint", _draft_args(), "--draft",
             files=_draft_raw("version", BIG_INT)),
        Case("draft-meta-nan", _draft_args(), "metadata",
             files=_draft_raw("metadata", '{"n": NaN}')),
        Case("draft-meta-1e400", _draft_args(), "metadata",
             files=_draft_raw("metadata", '{"n": -1e400}')),
        Case("draft-huge", _draft_args(), "--draft", files=_huge_draft),
        Case("draft-folder", _draft_args(), "--draft", files=_folder),
        Case("draft-dev-zero", ["send", "--draft", "/dev/zero", "--dry-run"], "--draft"),
        Case("draft-fifo", _draft_args(), "--draft", files=_fifo),
        Case("draft-json-mode-bad", ["send", "--draft", "d.json", "--dry-run", "--json"],
             "subject", files=_draft_with(subject=None)),
        Case("draft-stdin-pipe", ["send", "--draft", "/dev/stdin", "--dry-run"], "--draft",
             stdin=json.dumps(GOOD_DRAFT).encode()),
        Case("stdin-twice", send("--html", "-", "--plain-text", "-", body=False),
             "--plain-text", stdin=b"<p>hi</p>"),
        Case("attach-name-ff", send("--attach", f"a{FF}.pdf"), "--attach",
             files=_write(f"a{FF}.pdf", b"%PDF-1.4\n")),
        Case("command-ff", [f"s{FF}nd"], "COMMAND"),
        Case("meta-key-ff", send("--meta", f"k{FF}=1"), "--meta"),
        Case("profile-test-ca-fifo", ["profile", "test", "local", "--ca-file", "d.json"],
             "--ca-file", files=_fifo),
        Case("resume-ca-dev-zero", ["outbox", "resume", "--ca-file", "/dev/zero"], "--ca-file"),
        Case("relay-tls-cert-fifo",
             ["relay", "--port", "0", "--tls-cert", "d.json", "--tls-key", "d.json"],
             "--tls-cert", files=_fifo),
        Case("send-ca-fifo", send("--ca-file", "d.json", mode="send"), "--ca-file", files=_fifo),
        Case("html-dev-zero", send("--html", "/dev/zero", body=False), "--html"),
        Case("html-fifo", send("--html", "d.json", body=False), "--html", files=_fifo),
        Case("seed-list-dev-zero", send("--seed-list", "/dev/zero")[:3] + send(
            "--seed-list", "/dev/zero")[5:], "--seed-list"),
    ]
    return out


CASES = cases()


def _rows(db: Path) -> int:
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)


def assert_nothing_written(home: Path, folder: Path) -> None:
    assert not list(folder.rglob("*.eml")), "an .eml was written"
    assert _rows(home / "outbox.sqlite3") == 0, "an outbox row was written"
    assert _rows(home / "history.sqlite3") == 0, "a history row was written"
    sandbox = home / "sandbox"
    assert not sandbox.exists() or not [p for p in sandbox.rglob("*") if p.is_file()]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_in_one_line(
    case: Case, run_composer, composer_home: Path, tmp_path: Path
) -> None:
    (tmp_path / "body.txt").write_text("hello\n", encoding="utf-8")
    if case.files:
        case.files(tmp_path)
    started = time.monotonic()
    r = run_composer(*case.args, stdin=case.stdin, env=case.env, timeout=20)
    assert time.monotonic() - started < 15
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert "Traceback" not in r.err + r.out
    assert r.code == 2, f"exit {r.code}: {r.err!r}"
    assert len(lines) == 1, f"want one line, got: {r.err!r}"
    assert case.field in lines[0], f"{case.field!r} not named in {lines[0]!r}"
    assert "internal problem" not in lines[0]
    if "--json" in case.args and case.args[0] == "send":
        # Issue 12, item 10: with --json every failure still prints the (whole) report.
        report = json.loads(r.out)
        assert report["exit_code"] == 2 and case.field in report["error"] + str(report)
        assert report["sent"] == 0 and all(m["status"] == "not sent" for m in report["messages"])
    else:
        assert r.out == "", "a refusal prints nothing on stdout"
    assert "SECRETKEY" not in r.err + r.out
    assert_nothing_written(composer_home, tmp_path)


@pytest.mark.parametrize("value", ["5", "59.5"])
def test_a_timeout_below_the_relays_minimum_warns_and_proceeds(run_composer, tmp_path, value):
    (tmp_path / "body.txt").write_text("hello\n", encoding="utf-8")
    r = run_composer(*send("--timeout", value, mode="send"), timeout=60)
    assert r.code == 0, r.err
    assert "--timeout" in r.err and "60" in r.err and "warning" in r.err


def test_the_default_timeout_does_not_warn(run_composer, tmp_path) -> None:
    (tmp_path / "body.txt").write_text("hello\n", encoding="utf-8")
    r = run_composer(*send(mode="send"), timeout=60)
    assert r.code == 0, r.err
    assert "warning" not in r.err


def test_undecodable_path_is_read(run_composer, tmp_path: Path) -> None:
    """A path is bytes on Linux: a body or draft file whose name is not UTF-8 is read, and
    an error about one names it without a traceback."""
    body = os.fsencode(tmp_path) + b"/b\xff.txt"
    with open(body, "wb") as f:
        f.write(b"hello from a byte-named file\n")
    name = os.fsdecode(body)
    r = run_composer(*send("--text", name, body=False, mode="json"))
    assert r.code == 0, r.err
    assert json.loads(r.out)["messages"][0]["size"] > 0
    draft = os.fsencode(tmp_path) + b"/d\xff.json"
    with open(draft, "wb") as f:
        f.write(json.dumps(GOOD_DRAFT).encode())
    r = run_composer("send", "--draft", os.fsdecode(draft), "--dry-run", "--eml",
                     os.fsdecode(os.fsencode(tmp_path) + b"/o\xff.eml"))
    assert r.code == 0, r.err
    assert (os.fsencode(tmp_path) + b"/o\xff.eml") in [os.fsencode(p) for p in
                                                        tmp_path.iterdir()]
    r = run_composer(*send("--html", os.fsdecode(os.fsencode(tmp_path) + b"/gone\xff"),
                           body=False))
    assert r.code == 2 and "Traceback" not in r.err
    (tmp_path / "body.txt").write_text("hello\n", encoding="utf-8")
    folder = os.fsencode(tmp_path) + b"/in\xff"
    os.mkdir(folder)
    with open(folder + b"/report.txt", "wb") as f:
        f.write(b"attached from a byte-named folder\n")
    r2 = run_composer(*send("--attach", os.fsdecode(folder + b"/report.txt"), mode="json"))
    assert r2.code == 0, r2.err
    assert r.err.startswith("error: --html: ")
    assert r.err.rstrip().endswith("gone\\xff: file not found")


def test_stdin_body_is_capped(run_composer, tmp_path: Path) -> None:
    (tmp_path / "body.txt").write_text("hello\n", encoding="utf-8")
    r = run_composer(*send("--html", "-", body=False), stdin=b"x" * (21 * 1000 * 1000))
    assert r.code == 2 and "--html" in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_an_undecodable_composer_home_works(run_composer, tmp_path: Path) -> None:
    """COMPOSER_HOME is a path: bytes that are not UTF-8 are a folder like any other."""
    (tmp_path / "body.txt").write_text("hello\n", encoding="utf-8")
    home = os.fsdecode(os.fsencode(tmp_path) + b"/home\xff")
    r = run_composer(*send(mode="send"), env={"COMPOSER_HOME": home})
    assert r.code == 0, r.err
    r = run_composer("history", "--json", env={"COMPOSER_HOME": home})
    assert r.code == 0 and len(json.loads(r.out)) == 1
    assert "Traceback" not in r.err
