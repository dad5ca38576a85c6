"""`composer check`, and the checks inside `composer send`, run as the real installed command."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

UNSUB = '<a href="https://x.example/u" data-msys-unsubscribe="1">Unsubscribe</a>'


def page(extra: str = "", unsub: str = UNSUB) -> str:
    return (
        '<!doctype html><html lang="en"><head><title>Hi</title></head><body>\n'
        f"<p>Hello there</p>\n{extra}\n<p>{unsub}</p>\n</body></html>\n"
    )


@pytest.fixture
def html(tmp_path: Path) -> Path:
    p = tmp_path / "body.html"
    p.write_text(page(), encoding="utf-8")
    return p


def check_args(body: Path, *extra: str, sender: str = "ann@example.com") -> list[str]:
    return ["check", "--from", sender, "--to", "bob@example.com", "--subject", "Hi",
            "--html", str(body), *extra]  # fmt: skip


def test_clean_message_exits_0_with_findings_grouped(run_composer, html: Path) -> None:
    r = run_composer(*check_args(html))
    assert r.code == 0, r.err
    assert "Relay (1)" in r.out
    assert "INFO     options: tracking  [relay.tracking-default]" in r.out
    assert r.out.rstrip().endswith("(profile local, Local relay SMTP)")
    assert "0 errors" in r.out


def test_json_has_findings_and_summary(run_composer, html: Path) -> None:
    r = run_composer(*check_args(html, "--sandbox", "--json"))
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert set(doc) >= {"findings", "summary"}
    by_id = {f["id"]: f for f in doc["findings"]}
    assert by_id["relay.sandbox-from"]["severity"] == "info"  # the local relay takes any From
    f = next(f for f in doc["findings"] if f["id"] == "relay.sandbox-allowance")
    assert f["severity"] == "info" and f["where"] == {
        "part": "options", "line": None, "column": None, "element": "sandbox"
    }  # fmt: skip
    assert doc["summary"]["total"] == len(doc["findings"])
    assert doc["profile"] == {"name": "local", "provider": "local", "api": "smtp"}


def test_an_error_finding_exits_5_and_names_its_place(run_composer, html: Path) -> None:
    r = run_composer(*check_args(html, "--sandbox", "--provider", "sparkpost"))
    assert r.code == 5, r.out + r.err
    assert "ERROR    headers: From  [relay.sandbox-from]" in r.out
    assert "@sparkpostbox.com" in r.out


def test_element_and_line_column_in_the_body(run_composer, tmp_path: Path) -> None:
    body = tmp_path / "b.html"
    body.write_text(page("  <style>.x{color:red}</style>"), encoding="utf-8")
    r = run_composer(*check_args(body, "--inline-css"))
    assert "WARNING  html:3:3  <style>  [relay.inline-body-style]" in r.out, r.out


def test_unknown_client_is_exit_2_naming_the_flag(run_composer, html: Path) -> None:
    r = run_composer(*check_args(html, "--clients", "gmail.ios,notaclient"))
    assert r.code == 2
    assert r.err.startswith("error: --clients: unknown client id 'notaclient'")
    assert r.out == ""


def test_clients_are_taken(run_composer, html: Path) -> None:
    r = run_composer(*check_args(html, "--clients", "gmail.ios, outlook.windows", "--json"))
    assert r.code == 0, r.err
    assert json.loads(r.out)["clients"] == ["gmail.ios", "outlook.windows"]


def test_invalid_draft_is_exit_2_with_its_problems_and_the_findings(run_composer, html: Path):
    r = run_composer(*check_args(html, "--provider", "sparkpost", "--sandbox"), "--to", "bob@")
    assert r.code == 2
    assert "error: To #2: 'bob@' is not a valid email address" in r.err
    assert "[relay.sandbox-from]" in r.out


def test_check_takes_a_draft_file(run_composer, tmp_path: Path) -> None:
    draft = tmp_path / "d.json"
    draft.write_text(json.dumps({
        "from": {"email": "t@sparkpostbox.com"}, "to": [{"email": "b@example.com"}],
        "subject": "Hi {{name}}", "body": page(), "body_format": "html",
        "options": {"sandbox": True, "skip_suppression": True},
    }), encoding="utf-8")  # fmt: skip
    r = run_composer("check", "--draft", str(draft), "--provider", "custom", "--host",
                     "smtp.example.com", "--json")  # fmt: skip
    assert r.code == 5, r.err
    ids = {f["id"] for f in json.loads(r.out)["findings"]}
    assert {"relay.sandbox-enterprise", "relay.skip-suppression",
            "relay.substitution-literal"} <= ids  # fmt: skip


# --- the sandbox count comes from the history ---------------------------------------------------


def test_sandbox_allowance_counts_earlier_sends_of_the_profile(run_composer, html: Path) -> None:
    sandbox = ["--sandbox", "--from", "t@sparkpostbox.com"]
    sent = run_composer("send", "--to", "a@example.com", "--to", "b@example.com", "--subject",
                        "x", "--html", str(html), *sandbox)  # fmt: skip
    assert sent.code == 0, sent.err
    r = run_composer(*check_args(html, *sandbox, "--json"))
    f = next(f for f in json.loads(r.out)["findings"] if f["id"] == "relay.sandbox-allowance")
    assert "2 already sent with profile local" in f["message"]
    assert "2 left after it" in f["message"]


# --- composer send runs them --------------------------------------------------------------------


def test_send_warns_of_check_errors_and_sends(run_composer, html: Path, composer_home: Path):
    r = run_composer("send", *check_args(html, "--provider", "sparkpost", "--sandbox",
                                         "--dry-run")[1:])  # fmt: skip
    assert r.code == 0, r.err
    assert "warning: check relay.sandbox-from (headers: From):" in r.err
    assert "MAIL FROM:<ann@example.com>" in r.out


def test_send_strict_stops_before_anything_goes(run_composer, html: Path, composer_home: Path):
    args = check_args(html, "--sandbox", "--from", "t@birdemailbox.com")[1:]
    eml = composer_home.parent / "out.eml"
    r = run_composer("send", *args, "--strict", "--eml", str(eml))
    assert r.code == 0, r.err  # the local relay: no error-level finding
    r = run_composer("send", *args, "--provider", "sparkpost", "--strict", "--dry-run",
                     "--eml", str(eml.with_name("strict.eml")))  # fmt: skip
    assert r.code == 5
    assert "error: check relay.sandbox-from" in r.err
    assert not eml.with_name("strict.eml").exists()
    r = run_composer("send", *args, "--provider", "sparkpost", "--strict", "--json", "--dry-run")
    assert r.code == 5
    doc = json.loads(r.out)  # send --json reports whatever ends the command
    assert (doc["exit_code"], doc["sent"], doc["messages"][0]["status"]) == (5, 0, "not sent")
    assert [f["id"] for f in doc["checks"]["findings"]] == ["relay.sandbox-from"]


def test_send_strict_to_the_local_relay_sends_nothing(run_composer, html: Path, composer_home):
    args = check_args(html, "--provider", "local")[1:]
    body = html.with_name("gone.html")
    body.write_text(page('<a href="https://x.example/p">x</a>'), encoding="utf-8")
    ok = run_composer("send", *args, "--strict")
    assert ok.code == 0, ok.err
    delivered = list((composer_home / "sandbox" / "new").iterdir())
    r = run_composer("send", *args, "--strict", "--sandbox", "--from", "t@sparkpostbox.com",
                     "--skip-suppression", "--provider", "custom", "--host", "127.0.0.1",
                     "--port", "9", "--no-tls")  # fmt: skip
    assert r.code == 5, r.err
    assert "error: check relay.sandbox-enterprise" in r.err
    assert list((composer_home / "sandbox" / "new").iterdir()) == delivered


# --- --online: only when asked ------------------------------------------------------------------


class _Site(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str]]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, head_only: bool) -> None:
        self.seen.append((self.command, self.path))
        status = 404 if self.path.startswith("/gone") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if not head_only:
            self.wfile.write(b"ok")

    def do_HEAD(self) -> None:
        self._answer(True)

    def do_GET(self) -> None:
        self._answer(False)


@pytest.fixture
def site() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    seen: ClassVar[list[tuple[str, str]]] = []
    handler = type("Site", (_Site,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()
        t.join(5)


def test_online_never_probes_this_computer(run_composer, tmp_path: Path, site) -> None:
    """Links to this computer (or a private network) are never requested, with --online or
    without; a send never checks online. (The requests themselves: tests/app, tests/transport.)"""
    base, seen = site
    body = tmp_path / "links.html"
    unsub = f'<a href="{base}/ok" data-msys-unsubscribe="1">Unsubscribe</a>'  # all on loopback
    links = f'<a href="{base}/ok">ok</a> <a href="{base}/gone">gone</a>'
    body.write_text(page(links, unsub), "utf-8")
    for extra in ([], ["--online"]):
        r = run_composer(*check_args(body, "--json", *extra))
        assert r.code == 5, r.err  # links to this computer are an error offline (links.local)
        doc = json.loads(r.out)
        assert doc["online"] is bool(extra)
        assert not [f for f in doc["findings"] if f["id"].startswith("links.online")]
    sent = run_composer("send", *check_args(body)[1:])
    assert sent.code == 0, sent.err
    assert seen == []
