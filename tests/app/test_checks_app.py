"""app/checks.py: the profile's facts, the sandbox count from the real history, the client list,
and the online findings from a real loopback HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from composer.app import checks as app_checks
from composer.app.context import Context
from composer.core.checks import ProfileFacts, Severity, check_input
from composer.core.checks.doc import html_doc
from composer.core.checks.links import link_refs
from composer.core.draft import BodyFormat, Draft, Recipient
from composer.core.errors import UsageError
from composer.core.outcome import MessageResult, Status
from composer.transport.linkcheck import LinkLimits
from composer.transport.profiles.store import Profile


class _Site(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        codes = {"/ok": 200, "/gone": 404, "/busy": 503, "/old": 301}
        self.send_response(codes.get(self.path, 404))
        if self.path == "/old":
            self.send_header("Location", "/ok")
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        t.join(5)


def draft(body: str, **kw: object) -> Draft:
    return Draft(from_addr=Recipient("a@example.com"), to=[Recipient("b@example.com")],
                 subject="Hi", body=body, body_format=BodyFormat.HTML, **kw)  # type: ignore[arg-type]  # fmt: skip


def test_online_findings_point_at_each_bad_link(base: str) -> None:
    body = (
        f'<html><body>\n<a href="{base}/ok">a</a>\n<a href="{base}/gone">b</a>\n'
        f'<img src="{base}/busy" alt="">\n<a href="{base}/old">c</a></body></html>'
    )
    inp = check_input(draft(body), ProfileFacts("sparkpost"))
    doc = html_doc(inp)
    assert doc is not None
    found = app_checks.online_findings(
        inp, LinkLimits(timeout=2.0, private_ok=True), refs=link_refs(doc, images=True)
    )
    assert [(f.id, f.severity, f.where.line) for f in found] == [
        ("links.online-broken", Severity.ERROR, 3),
        ("links.online-status", Severity.WARNING, 4),
        ("links.online-redirect", Severity.INFO, 5),
    ]
    assert all(f.category == "links" for f in found)


def test_loopback_links_are_not_checked_by_default(base: str) -> None:
    inp = check_input(draft(f'<a href="{base}/gone">b</a>'), ProfileFacts("sparkpost"))
    assert app_checks.online_findings(inp, LinkLimits(timeout=2.0)) == []


def record(context: Context, profile: str, sender: str, rcpts: list[str], status: Status) -> None:
    with context.history() as h:
        h.record(profile=profile, host="h", subject="s", result=MessageResult(
            0, "<id@x>", sender, rcpts, 10, status))  # fmt: skip


def test_sandbox_count_per_profile_from_the_history(context: Context) -> None:
    facts = ProfileFacts("sparkpost", "smtp", "acme")
    assert app_checks.sandbox_used(context, facts) == 0  # no history yet
    record(context, "acme", "t@sparkpostbox.com", ["a@x.com", "b@x.com"], Status.SENT)
    record(context, "acme", "T@SparkPostBox.com", ["c@x.com"], Status.UNKNOWN)
    record(context, "acme", "t@sparkpostbox.com", ["d@x.com"], Status.FAILED)  # not counted
    record(context, "other", "t@sparkpostbox.com", ["e@x.com"], Status.SENT)  # other account
    record(context, "acme", "ann@example.com", ["f@x.com"], Status.SENT)  # not the sandbox
    record(context, "acme", "t@birdemailbox.com", ["g@x.com"], Status.SENT)  # Bird's domain
    assert app_checks.sandbox_used(context, facts) == 3
    assert app_checks.sandbox_used(context, ProfileFacts("bird", "smtp", "acme")) == 1
    record(context, "acme", "t@sparkpostbox.com", ["h@x.com"], Status.SENT)
    assert app_checks.sandbox_used(context, facts) == 4  # the cache follows the file


def test_profile_facts() -> None:
    rest = Profile.new("api", "sparkpost", api="rest")
    assert app_checks.profile_facts(rest) == ProfileFacts("sparkpost", "rest", "api")


def test_clients_are_validated() -> None:
    assert app_checks.parse_clients("gmail.ios , outlook.windows,gmail.ios") == (
        "gmail.ios", "outlook.windows")  # fmt: skip
    with pytest.raises(UsageError, match=r"^--clients: unknown client id 'nope'"):
        app_checks.parse_clients("gmail.ios,nope")
    with pytest.raises(UsageError, match="at least one"):
        app_checks.parse_clients(" , ")
