"""`composer send --api rest`, `composer profile` and `composer relay --http-port`: the real
command in a subprocess, against the local endpoint and the fault-injecting HTTPS API."""

from __future__ import annotations

import base64
import json
import mailbox
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import composer_command, send_args
from support.http_faults import GOOD_KEY, FaultApi, api_errors
from support.net import free_port, wait_for_port

KEY_ENV = {"COMPOSER_API_KEY": GOOD_KEY, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


@pytest.fixture
def body(tmp_path: Path) -> Path:
    p = tmp_path / "body.md"
    p.write_text("# Hello {{name}}\n\nA line.\n", encoding="utf-8")
    return p


def to_api(api: FaultApi, body: Path, *extra: str) -> list[str]:
    return send_args(
        body, "--api", "rest", "--provider", "custom", "--api-url", api.url,
        "--ca-file", str(api.ca_file), "--retry-delay", "0.01", "--timeout", "5",
        "--final-timeout", "5", *extra,
    )  # fmt: skip


def leaks(texts: list[str], home: Path) -> list[str]:
    """Where the key (or its base64, as a Basic header would carry it) was found."""
    needles = [GOOD_KEY.encode(), base64.b64encode(GOOD_KEY.encode())]
    found = [f"output {i}" for i, t in enumerate(texts) for n in needles if n in t.encode()]
    for f in home.rglob("*"):
        if f.is_file() and any(n in f.read_bytes() for n in needles):
            found.append(str(f))
    return found


# --- the local sandbox endpoint --------------------------------------------------------------


def test_the_local_profile_over_rest_delivers_and_records_the_id(
    run_composer, body: Path, composer_home: Path
) -> None:
    r = run_composer(*send_args(body, "--api", "rest", "--cc", "Cy <cy@example.com>",
                                   "--bcc", "dee@example.com"))  # fmt: skip
    assert r.code == 0, r.err
    m = re.search(r"bob@example.com: sent \(200 OK: 3 accepted, 0 rejected\); transmission id "
                  r"([0-9]{18})", r.out)  # fmt: skip
    assert m, r.out
    tid = m.group(1)
    assert "via local (REST)" in r.err
    box = mailbox.Maildir(composer_home / "sandbox", create=False)
    got = {msg["Delivered-To"]: msg for msg in box}
    assert set(got) == {"bob@example.com", "cy@example.com", "dee@example.com"}
    assert {msg["X-Relay-Transmission-Id"] for msg in got.values()} == {tid}
    assert got["dee@example.com"]["Bcc"] == "dee@example.com"
    assert all(msg["Cc"] == "Cy <cy@example.com>" for msg in got.values())

    h = run_composer("history")
    assert h.code == 0 and f"transmission {tid}" in h.out
    (entry,) = json.loads(run_composer("history", "--json").out)
    assert entry["transmission_id"] == tid and entry["status"] == "sent"


def test_the_json_report_names_the_api_and_the_id(run_composer, body: Path) -> None:
    r = run_composer(*send_args(body, "--api", "rest", "--json"))
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["api"] == "rest"
    (m,) = report["messages"]
    assert m["status"] == "sent" and re.fullmatch(r"[0-9]{18}", m["transmission_id"])
    smtp = json.loads(run_composer(*send_args(body, "--json")).out)
    assert smtp["api"] == "smtp" and smtp["messages"][0]["transmission_id"] is None


def test_composer_relay_serves_the_http_endpoint_too(
    run_composer, body: Path, tmp_path: Path
) -> None:
    smtp_port, http_port = free_port(), free_port()
    maildir = tmp_path / "relay-box"
    proc = subprocess.Popen(
        [*composer_command(), "relay", "--port", str(smtp_port), "--http-port", str(http_port),
         "--maildir", str(maildir)],
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_port(http_port, proc)
        url = f"http://127.0.0.1:{http_port}/api/v1"
        r = run_composer(*send_args(body, "--provider", "local", "--port", str(smtp_port),
                                       "--api", "rest", "--api-url", url))  # fmt: skip
        assert r.code == 0, r.err
        assert [m["Delivered-To"] for m in mailbox.Maildir(maildir, create=False)] == [
            "bob@example.com"
        ]
    finally:
        if sys.platform != "win32":
            proc.send_signal(signal.SIGTERM)
        else:
            proc.kill()
        _, err = proc.communicate(timeout=30)
    assert f"REST Transmissions API at http://127.0.0.1:{http_port}/api/v1" in err.decode()


# --- a real HTTPS API that injects faults -------------------------------------------------------


def test_a_send_to_the_api_with_substitution_data(run_composer, api: FaultApi, body: Path) -> None:
    r = run_composer(*to_api(api, body, "--substitution-data", '{"name": "Bob"}'), env=KEY_ENV)
    assert r.code == 0, r.err
    assert "transmission id 11668787484950530" in r.out
    (post,) = api.posts()
    assert post.authorization == GOOD_KEY
    assert post.doc["substitution_data"] == {"name": "Bob"}
    assert "Hello {{name}}" in post.doc["content"]["email_rfc822"]


@pytest.mark.parametrize(
    ("status", "exit", "words"),
    [
        (422, 3, "required field is missing: content object or template_id required (code 1400)"),
        (401, 3, "the API refused the API key"),
        (420, 3, "sending limit would be exceeded"),
        (503, 4, "gave up after 2 attempts"),
    ],
)
def test_errors_exit_with_the_documented_code_and_the_apis_words(
    run_composer, api: FaultApi, body: Path, status: int, exit: int, words: str
) -> None:
    said = api_errors("required field is missing", "content object or template_id required", "1400")
    api.script(status, said, times=5)
    r = run_composer(*to_api(api, body, "--retries", "1"), env=KEY_ENV)
    assert r.code == exit, r.err
    assert words in r.err
    assert "Traceback" not in r.err and api.created == 0


def test_rate_limited_then_sent_once(run_composer, api: FaultApi, body: Path) -> None:
    api.script(429, api_errors("Too many requests", "", "1"), {"Retry-After": "0"})
    r = run_composer(*to_api(api, body, "--json"), env=KEY_ENV)
    assert r.code == 0, r.err
    (m,) = json.loads(r.out)["messages"]
    assert (m["status"], m["attempts"]) == ("sent", 2)
    assert len(api.posts()) == 2 and api.created == 1


def test_a_dropped_answer_is_unknown_and_not_resent(
    run_composer, api: FaultApi, body: Path
) -> None:
    api.script("drop")
    r = run_composer(*to_api(api, body), env=KEY_ENV)
    assert r.code == 4
    assert "UNKNOWN" in r.err and "may have been created" in r.err
    assert len(api.posts()) == 1


def test_what_rest_cannot_carry_is_refused_before_anything_is_sent(
    run_composer, api: FaultApi, body: Path
) -> None:
    cases = [
        (["--archive", "arc@example.com"], "error: archive: the REST API has no archive"),
        (["--substitution-data", "[1]"], "--substitution-data: must be a JSON object"),
        (["--substitution-data", "{nope"], "--substitution-data: not valid JSON"),
    ]
    for extra, words in cases:
        r = run_composer(*to_api(api, body, *extra), env=KEY_ENV)
        assert (r.code, words in r.err) == (2, True), r.err
    smtp_only = [(["--substitution-data", "{}"], "add --api rest"),
                 (["--api-url", api.url], "--api-url: is the REST API's address")]  # fmt: skip
    for extra, words in smtp_only:
        r = run_composer(*send_args(body, *extra))
        assert (r.code, words in r.err) == (2, True), r.err
    remote_http = to_api(api, body)
    remote_http[remote_http.index(api.url)] = "http://api.example.com/api/v1"
    r = run_composer(*remote_http, env=KEY_ENV)
    assert r.code == 2 and "api_url: http:// is allowed only for this computer" in r.err
    assert api.received == []


def test_a_dry_run_shows_the_request_body(run_composer, body: Path) -> None:
    r = run_composer(*send_args(body, "--api", "rest", "--dry-run", "--cc", "cy@example.com"))
    assert r.code == 0, r.err
    assert r.out.startswith("POST /transmissions\n")
    doc = json.loads(r.out.split("\n", 1)[1])
    assert doc["recipients"][1]["address"] == {"email": "cy@example.com",
                                               "header_to": "bob@example.com"}  # fmt: skip
    assert "\r\nCc: cy@example.com\r\n" in doc["content"]["email_rfc822"]
    j = json.loads(run_composer(*send_args(body, "--api", "rest", "--dry-run", "--json")).out)
    assert j["messages"][0]["transmission"]["content"]["email_rfc822"].startswith("From: ")


# --- profiles ------------------------------------------------------------------------------------


def test_rest_profiles_add_show_list_and_test(
    run_composer, api: FaultApi, composer_home: Path
) -> None:
    def profile(*args: str, env: dict[str, str] | None = None):
        return run_composer("profile", *args, env={**KEY_ENV, **(env or {})})

    r = profile("add", "ent", "--provider", "custom", "--api", "rest")
    assert r.code == 2 and "api_url: SparkPost Enterprise over REST needs" in r.err
    r = profile("add", "bird", "--provider", "bird", "--workspace", "w", "--api", "rest")
    assert r.code == 2 and "api: Bird US over REST is not supported" in r.err
    r = profile("add", "ent", "--provider", "custom", "--api", "rest", "--api-url", api.url)
    assert r.code == 0, r.err
    assert f"saved profile 'ent' (REST {api.url})" in r.out
    doc = json.loads((composer_home / "config" / "profiles.json").read_text())
    assert doc["profiles"][1]["api"] == "rest" and doc["profiles"][1]["api_url"] == api.url
    assert "api" not in doc["profiles"][0]  # SMTP profiles are written as before

    fields = dict(line.split(":", 1) for line in profile("show", "ent").out.splitlines())
    assert fields["api"].strip() == "REST (Transmissions API)"
    assert fields["api url"].strip() == api.url
    assert f"REST {api.url}" in profile("list").out

    ok = profile("test", "ent", "--ca-file", str(api.ca_file))
    assert ok.code == 0, ok.out + ok.err
    assert "ok   TLS" in ok.out and "ok   API key" in ok.out and "nothing was sent" in ok.out
    bad = profile("test", "ent", "--ca-file", str(api.ca_file), env={"COMPOSER_API_KEY": "nope"})
    assert bad.code == 3 and "FAIL API key" in bad.out
    untrusted = profile("test", "ent")
    assert untrusted.code == 4 and "FAIL TLS" in untrusted.out
    assert api.posts() == [] and {r.path for r in api.received} == {"/api/v1/account"}

    sent = run_composer("send", "--profile", "ent", "--from", "ann@example.com", "--to",
                        "bob@example.com", "--subject", "x", "--text", "-", "--ca-file",
                        str(api.ca_file), stdin=b"hi", env=KEY_ENV)  # fmt: skip
    assert sent.code == 0, sent.err
    assert len(api.posts()) == 1


def test_the_local_rest_profile_test_reports_plain_http(run_composer) -> None:
    add = run_composer("profile", "add", "lr", "--provider", "local", "--api", "rest")
    assert add.code == 0, add.err
    r = run_composer("profile", "test", "lr")
    assert r.code == 0, r.out + r.err
    assert "-    TLS         not used (plain HTTP on this computer)" in r.out


# --- the key, nowhere but the Authorization header -------------------------------------------


def test_the_key_never_leaks(run_composer, api: FaultApi, body: Path, composer_home: Path) -> None:
    outputs: list[str] = []

    def run(*args: str, **kw) -> None:
        r = run_composer(*args, env=KEY_ENV, **kw)
        outputs.extend([r.out, r.err])

    api.script(400, api_errors("bad header", f"Authorization: {GOOD_KEY}", "1"))
    run(*to_api(api, body))  # the server echoes the key in its error
    api.script(401, api_errors("Unauthorized.", GOOD_KEY, "1100"))
    run("--debug", *to_api(api, body))
    api.script("drop")
    run(*to_api(api, body, "--json"))
    # the dropped copy is "unknown", so still held: sending it again is an explicit decision
    run(*to_api(api, body, "--new-copies"))
    run("history")
    run("history", "--json")
    run("profile", "add", "ent", "--provider", "custom", "--api", "rest", "--api-url", api.url)
    run("profile", "show", "ent")
    run("profile", "test", "ent", "--ca-file", str(api.ca_file))
    assert len(api.posts()) == 4 and all(p.authorization == GOOD_KEY for p in api.posts())
    assert leaks(outputs, composer_home) == []


@pytest.mark.parametrize(
    ("value", "words"),
    [("[" * 50_000, "nested too deeply"), ('{"a": NaN}', "NaN is not a JSON number"),
     ('{"a": 1e999}', "Infinity is not a JSON number"), ('{"a": -Infinity}', "-Infinity"),
     ('{"a": ' + "9" * 5000 + "}", "not valid JSON")],
    ids=["deep", "nan", "overflow", "infinity", "huge_int"],
)  # fmt: skip
def test_substitution_data_that_is_not_json_is_a_usage_error(
    run_composer, body: Path, value: str, words: str
) -> None:
    r = run_composer(*send_args(body, "--api", "rest", "--dry-run",
                                   "--substitution-data", value))  # fmt: skip
    assert r.code == 2, r.err
    assert "--substitution-data" in r.err and words in r.err
    assert "Traceback" not in r.err and "internal problem" not in r.err
