"""The 587 -> 2525 fallback: only for the documented relay hosts, only when nobody named a port,
only over TLS, or when asked for with --fallback-port (issue 12, item 1: the key went to
whatever listened on 127.0.0.1:2525)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trustme
from support.net import free_port
from support.smtp_hostile import HostilePeer

from composer.app.connect import choose_profile
from composer.core.build import build_messages
from composer.core.draft import Draft, Recipient
from composer.core.errors import ProfileError
from composer.transport.batch import SendOptions, send_batch
from composer.transport.profiles.store import Profile, ProfileStore
from composer.transport.smtp.session import Endpoint

KEY = "k3y-for-the-fallback-test"


# --- which ports a profile tries ------------------------------------------------------------


@pytest.mark.parametrize("provider", ["sparkpost", "sparkpost-eu", "bird", "bird-eu"])
def test_documented_hosts_at_their_port_fall_back_to_2525(context, provider: str) -> None:
    extra = {"workspace": "ws"} if provider.startswith("bird") else {}
    assert Profile.new("p", provider, **extra).ports == (587, 2525)
    assert choose_profile(context, provider=provider, **extra).ports == (587, 2525)


@pytest.mark.parametrize(
    "profile",
    [
        pytest.param(lambda ctx: Profile.new("c", "custom", host="relay.example.com"), id="custom"),
        pytest.param(
            lambda ctx: Profile.new("c", "custom", host="127.0.0.1", port=2600, tls=False),
            id="custom-no-tls",
        ),
        pytest.param(lambda ctx: Profile.new("s", "sparkpost", port=8587), id="named-port"),
        pytest.param(
            lambda ctx: Profile.new("s", "sparkpost", host="mx.example.com"), id="other-host"
        ),
        pytest.param(
            lambda ctx: choose_profile(ctx, provider="sparkpost", port=587), id="port-587-named"
        ),
        pytest.param(
            lambda ctx: choose_profile(
                ctx, provider="custom", host="127.0.0.1", port=2600, no_tls=True
            ),
            id="cli-custom-no-tls",
        ),
    ],
)
def test_no_second_port_nobody_asked_for(context, profile) -> None:
    p = profile(context)
    assert p.ports == (p.port,)


def test_asked_for_fallback_is_tried_over_tls_only(context) -> None:
    p = choose_profile(
        context, provider="custom", host="relay.example.com", port=25, fallback_port=2600
    )
    assert p.ports == (25, 2600)
    with pytest.raises(ProfileError, match=r"fallback_port.*TLS"):
        Profile.new("c", "custom", host="127.0.0.1", tls=False, fallback_port=2525)


def test_fallback_port_is_kept_in_the_profiles_file(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.add(Profile.new("c", "custom", host="relay.example.com", fallback_port=2600))
    store.add(Profile.new("s", "sparkpost"))
    assert store.get("c").ports == (587, 2600)
    assert store.get("s").ports == (587, 2525)
    doc = {p["name"]: p for p in json.loads((tmp_path / "profiles.json").read_text())["profiles"]}
    assert doc["c"]["fallback_port"] == 2600
    assert "fallback_port" not in doc["s"]  # not set: the file looks as before


def test_session_never_uses_a_fallback_without_tls() -> None:
    with HostilePeer() as peer:
        ep = Endpoint(host="127.0.0.1", port=free_port(), fallback_port=peer.port, tls=False,
                      username="SMTP_Injection", password=KEY, timeout=2)  # fmt: skip
        draft = Draft(from_addr=Recipient("a@example.com"), subject="s", body="b")
        msgs = build_messages(draft, seeds=[Recipient("b@example.com")])
        report = send_batch(msgs, ep, options=SendOptions(retries=0))
    assert report.results[0].status == "failed" and "cannot reach" in report.results[0].error
    assert peer.connections == 0


# --- the CLI ------------------------------------------------------------------------------------


def _send_args(body: Path, port: int, *extra: str) -> list[str]:
    return ["send", "--from", "ann@example.com", "--to", "bob@example.com", "--subject", "Hi",
            "--markdown", str(body), "--provider", "custom", "--host", "127.0.0.1",
            "--port", str(port), "--retries", "0", "--timeout", "3", *extra]  # fmt: skip


@pytest.fixture
def body(tmp_path: Path) -> Path:
    p = tmp_path / "body.md"
    p.write_text("Hello\n", encoding="utf-8")
    return p


def test_named_port_unreachable_never_falls_back_to_2525(run_composer, body: Path) -> None:
    try:
        watcher = HostilePeer(port=2525).start()
    except OSError as exc:
        pytest.skip(f"cannot watch 127.0.0.1:2525 (in use by another process: {exc})")
    closed = free_port()
    try:
        r = run_composer(*_send_args(body, closed, "--no-tls", "--json"),
                         env={"COMPOSER_API_KEY": KEY})  # fmt: skip
    finally:
        watcher.stop()
    assert watcher.connections == 0 and watcher.auth_lines == []
    assert r.code == 4, r.err
    assert "2525" not in r.err
    (m,) = json.loads(r.out)["messages"]
    assert m["status"] == "failed" and f"cannot reach 127.0.0.1:{closed}" in m["error"]
    assert "Traceback" not in r.err


def test_fallback_port_when_asked_and_stderr_says_where(
    run_composer, body: Path, hostile, ca: trustme.CA, tmp_path: Path
) -> None:
    peer = hostile({}, ca=ca)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    closed = free_port()
    r = run_composer(
        *_send_args(body, closed, "--ca-file", str(ca_file), "--fallback-port", str(peer.port)),
        env={"COMPOSER_API_KEY": KEY},
    )
    assert r.code == 0, r.err
    lines = [ln for ln in r.err.splitlines() if ln.startswith("SMTP: connected to")]
    assert lines == [
        f"SMTP: connected to 127.0.0.1:{peer.port} (127.0.0.1:{closed} could not be reached)"
    ]
    assert len(peer.messages) == 1


def test_without_fallback_port_a_custom_host_tries_one_port(
    run_composer, body: Path, hostile, ca: trustme.CA, tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    closed = free_port()
    r = run_composer(*_send_args(body, closed, "--ca-file", str(ca_file)),
                     env={"COMPOSER_API_KEY": KEY})  # fmt: skip
    assert r.code == 4 and f"cannot reach 127.0.0.1:{closed}" in r.err


def test_fallback_port_with_no_tls_is_refused(run_composer, body: Path) -> None:
    r = run_composer(*_send_args(body, 2600, "--no-tls", "--fallback-port", "2525"),
                     env={"COMPOSER_API_KEY": KEY})  # fmt: skip
    assert r.code == 2
    assert r.err.strip().splitlines()[-1].startswith("error: --fallback-port:")


def test_outbox_resume_takes_fallback_port(run_composer) -> None:
    r = run_composer("outbox", "resume", "--fallback-port", "0")
    assert r.code == 2 and "--fallback-port" in r.err
