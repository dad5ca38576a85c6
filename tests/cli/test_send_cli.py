"""`composer send`, run as the real installed command."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import pytest
from support.cli import send_args

from composer.core import msys


@pytest.fixture
def body(tmp_path: Path) -> Path:
    p = tmp_path / "body.md"
    p.write_text("# Hello\n\nVisit [us](https://example.com).\n", encoding="utf-8")
    return p


def base_args(body: Path) -> list[str]:
    return send_args(body, "--dry-run", sender="Ann <ann@example.com>")


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def test_dry_run_prints_envelope_and_message(run_composer, body: Path) -> None:
    r = run_composer(*base_args(body), "--cc", "c@example.com", "--bcc", "d@example.com")
    assert r.code == 0, r.err
    assert r.out.startswith("MAIL FROM:<ann@example.com>\nRCPT TO:<bob@example.com>\nDATA\n")
    assert "RCPT TO:<c@example.com>" not in r.out
    assert "\nCc:" not in r.out and "\nBcc:" not in r.out
    assert "X-MSYS-API: " in r.out


def test_eml_holds_the_exact_crlf_bytes(run_composer, body: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.eml"
    r = run_composer(
        *base_args(body),
        "--eml",
        str(out),
        "--campaign",
        "spring",
        "--tag",
        "a",
        "--tag=b",
        "--meta",
        "flag=true",
        "--meta",
        "n=3",
        "--meta",
        "s=hello",
        "--meta",
        'o={"x":1}',
        "--no-open-tracking",
        "--click-tracking",
        "--transactional",
        "--ip-pool",
        "sp_shared",
        "--inline-css",
    )
    assert r.code == 0, r.err
    data = out.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    msg = parse(data)
    assert msys.parse_value(msg["X-MSYS-API"]) == {
        "campaign_id": "spring",
        "metadata": {"flag": True, "n": 3, "s": "hello", "o": {"x": 1}},
        "tags": ["a", "b"],
        "options": {
            "open_tracking": False,
            "click_tracking": True,
            "transactional": True,
            "ip_pool": "sp_shared",
            "inline_css": True,
        },
    }


def test_json_report(run_composer, body: Path) -> None:
    r = run_composer(*base_args(body), "--json", "--to", "cy@example.com")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    (m,) = report["messages"]
    assert m["mail_from"] == "ann@example.com"
    assert m["rcpt_to"] == ["bob@example.com", "cy@example.com"]
    assert m["size"] > 200 and m["message_id"].startswith("<")


def test_seed_list_writes_one_eml_per_seed(run_composer, body: Path, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("s1@example.com\n\nSeed Two <s2@example.com>\n# comment\n")
    folder = tmp_path / "out"
    r = run_composer(*send_args(body, "--dry-run", "--eml", str(folder), "--json", seeds=seeds))
    assert r.code == 0, r.err
    files = sorted(folder.glob("*.eml"))
    assert len(files) == 2
    tos = [parse(f.read_bytes())["To"].addresses[0].addr_spec for f in files]
    assert tos == ["s1@example.com", "s2@example.com"]
    assert [m["rcpt_to"] for m in json.loads(r.out)["messages"]] == [
        ["s1@example.com"],
        ["s2@example.com"],
    ]


def test_invalid_input_exits_2_names_the_field_and_writes_nothing(
    run_composer, body: Path, tmp_path: Path
) -> None:
    out = tmp_path / "never.eml"
    r = run_composer(
        "send",
        "--from",
        "ann@example.com",
        "--to",
        "bob@",
        "--cc",
        "x@y",
        "--subject",
        "Hi",
        "--markdown",
        str(body),
        "--dry-run",
        "--eml",
        str(out),
        "--campaign",
        "é" * 40,
    )
    assert r.code == 2
    assert not out.exists()
    lines = r.err.strip().splitlines()
    assert any(line.startswith("error: To #1:") for line in lines)
    assert any(line.startswith("error: Cc #1:") for line in lines)
    assert any("Campaign ID" in line and "80 bytes" in line for line in lines)
    assert "Traceback" not in r.err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [
                "send",
                "--from",
                "a@example.com",
                "--to",
                "b@example.com",
                "--subject",
                "x",
                "--dry-run",
            ],
            "a body is required",
        ),
        (
            [
                "send",
                "--from",
                "a@example.com",
                "--to",
                "b@example.com",
                "--subject",
                "x",
                "--html",
                "missing.html",
                "--dry-run",
            ],
            "--html: missing.html: file not found",
        ),
        (["send", "--draft", "nope.json", "--dry-run"], "--draft: nope.json: file not found"),
        (["send", "--bogus"], "unrecognized arguments"),
        (
            [
                "send",
                "--from",
                "a@example.com",
                "--to",
                "b@example.com",
                "--seed-list",
                "s.txt",
                "--subject",
                "x",
                "--text",
                "b.txt",
            ],
            "not allowed with argument",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(run_composer, args, expected) -> None:
    r = run_composer(*args)
    assert r.code == 2, r.err
    assert expected in r.err
    assert "Traceback" not in r.err


def test_bad_meta_and_metadata(run_composer, body: Path) -> None:
    r = run_composer(*base_args(body), "--meta", "novalue")
    assert r.code == 2 and "--meta" in r.err
    r = run_composer(*base_args(body), "--metadata", "{not json")
    assert r.code == 2 and "--metadata: not valid JSON" in r.err
    r = run_composer(*base_args(body), "--metadata", "[1,2]")
    assert r.code == 2 and "Metadata: must be a JSON object" in r.err


def test_draft_file_with_flag_overrides(run_composer, tmp_path: Path) -> None:
    draft = tmp_path / "d.json"
    draft.write_text(
        json.dumps(
            {
                "format": "composer-draft",
                "version": 1,
                "from": {"email": "ann@example.com", "name": "Ann"},
                "to": [{"email": "old@example.com"}],
                "subject": "From the draft",
                "body": "<p>hi</p>",
                "body_format": "html",
                "tags": ["t"],
            }
        ),
        encoding="utf-8",
    )
    r = run_composer("send", "--draft", str(draft), "--to", "new@example.com", "--dry-run")
    assert r.code == 0, r.err
    assert "RCPT TO:<new@example.com>" in r.out and "old@example.com" not in r.out
    assert "Subject: From the draft" in r.out


def test_subject_injection_through_the_cli(run_composer, body: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.eml"
    args = base_args(body)
    args[args.index("Hi")] = "x =?UTF-8?Q?=0D=0ABcc:_evil@example.com?="
    r = run_composer(*args, "--eml", str(out))
    assert r.code == 0, r.err
    assert parse(out.read_bytes())["Bcc"] is None


def test_warnings_do_not_block(run_composer, body: Path) -> None:
    args = base_args(body)
    args[args.index("Hi")] = ""
    r = run_composer(*args)
    assert r.code == 0
    assert "warning: Subject: is empty" in r.err


def test_version_and_module_entry(run_composer) -> None:
    r = run_composer("--version")
    assert r.code == 0 and r.out.startswith("composer ")
