"""`composer send` over the network, run as the real command against real servers."""

from __future__ import annotations

import base64
import json
import mailbox
import re
from pathlib import Path

import pytest
from support.cli import connection_args, profile_add_args, send_args
from support.smtp_faults import GOOD_KEY, USER, FaultServer


@pytest.fixture
def body(tmp_path: Path) -> Path:
    p = tmp_path / "body.md"
    p.write_text("# Hello\n\nA line.\n", encoding="utf-8")
    return p


def args_for(server: FaultServer, body: Path, *extra: str) -> list[str]:
    return send_args(body, *connection_args(server, ca_file=server.ca_file), *extra)


KEY_ENV = {"COMPOSER_API_KEY": GOOD_KEY}


def secret_leaks(texts: list[str | bytes], home: Path) -> int:
    needles = [GOOD_KEY.encode(), base64.b64encode(GOOD_KEY.encode())]
    found = sum(n in (t.encode() if isinstance(t, str) else t) for t in texts for n in needles)
    for f in home.rglob("*"):
        if f.is_file():
            found += sum(n in f.read_bytes() for n in needles)
    return found


def test_sends_and_records_history_without_the_key(
    run_composer, server: FaultServer, body: Path, composer_home: Path
) -> None:
    r = run_composer(*args_for(server, body, "--json"), env=KEY_ENV)
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert [m["status"] for m in report["messages"]] == ["sent"]
    assert report["messages"][0]["reply"].startswith("2.0.0 OK")
    assert len(server.kept()) == 1
    h = run_composer("history", "--json")
    (entry,) = json.loads(h.out)
    assert entry["status"] == "sent" and entry["rcpt_to"] == ["bob@example.com"]
    assert secret_leaks([r.out, r.err, h.out, h.err], composer_home) == 0


def test_refusal_exits_3_with_the_servers_words(
    run_composer, server: FaultServer, body: Path
) -> None:
    server.script("DATA", "550 5.6.0 X-MSYS-API 'metadata' must be of type 'json object'")
    r = run_composer(*args_for(server, body), env=KEY_ENV)
    assert r.code == 3
    assert "X-MSYS-API" in r.err and "'metadata' must be of type" in r.err
    assert "Traceback" not in r.err


def test_wrong_key_exits_3_and_says_the_key_is_wrong(
    run_composer, server: FaultServer, body: Path
) -> None:
    r = run_composer(*args_for(server, body), env={"COMPOSER_API_KEY": "wrong-key"})
    assert r.code == 3
    assert "API key" in r.err and "535" in r.err
    assert "wrong-key" not in r.out + r.err


def test_unknown_outcome_exits_4_and_is_not_resent(
    run_composer, server: FaultServer, body: Path
) -> None:
    server.script("DATA", "drop")
    r = run_composer(*args_for(server, body, "--json"), env=KEY_ENV)
    assert r.code == 4
    (m,) = json.loads(r.out)["messages"]
    assert m["status"] == "unknown" and m["attempts"] == 1
    assert len(server.received) == 1


def test_seed_list_batch_reports_every_message(
    run_composer, server: FaultServer, body: Path, tmp_path: Path
) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("".join(f"seed{i}@example.com\n" for i in range(5)))
    server.script("DATA", "250 2.0.0 OK")
    server.script("DATA", "554 5.7.1 rejected")
    args = args_for(server, body, "--json", "--connections", "1")  # the script's order
    i = args.index("--to")
    args[i : i + 2] = ["--seed-list", str(seeds)]
    r = run_composer(*args, env=KEY_ENV)
    assert r.code == 3
    statuses = [m["status"] for m in json.loads(r.out)["messages"]]
    assert statuses == ["sent", "failed", "sent", "sent", "sent"]
    assert server.duplicates() == 0


def test_a_seed_list_over_four_connections_reports_in_input_order(
    run_composer, server: FaultServer, body: Path, tmp_path: Path
) -> None:
    n = 12
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("".join(f"seed{i:02d}@example.com\n" for i in range(n)))
    server.script("DATA", "554 5.7.1 rejected")  # whichever connection ends a message first
    for flags in (["--json"], []):
        args = args_for(server, body, *flags)
        i = args.index("--to")
        args[i : i + 2] = ["--seed-list", str(seeds)]
        r = run_composer(*args, env=KEY_ENV)
        assert r.code == (3 if flags else 0), r.err
        if flags:
            report = json.loads(r.out)
            messages = report["messages"]
            assert [m["index"] for m in messages] == list(range(n))
            wanted = [[f"seed{k:02d}@example.com"] for k in range(n)]
            assert [m["rcpt_to"] for m in messages] == wanted
            assert sorted(m["status"] for m in messages) == ["failed"] + ["sent"] * (n - 1)
            assert report["connections"] == 4  # the default
        else:  # the text report: one line per message, in the seed list's order
            shown = [int(x) for x in re.findall(r"^\[(\d+)/12\]", r.out, re.MULTILINE)]
            assert shown == list(range(1, n + 1))
    assert server.duplicates() == 0 and server.connections >= 4


def test_no_tls_is_refused_for_remote_hosts(run_composer, body: Path) -> None:
    r = run_composer(*send_args(body, "--provider", "sparkpost", "--no-tls"), env=KEY_ENV)
    assert r.code == 2
    assert "tls" in r.err.lower() and "Traceback" not in r.err


def test_missing_key_is_a_clear_usage_error(run_composer, server: FaultServer, body: Path) -> None:
    r = run_composer(*args_for(server, body), env={"DBUS_SESSION_BUS_ADDRESS": ""})
    assert r.code == 2
    assert "COMPOSER_API_KEY" in r.err
    assert server.received == [] and server.handler.logins == []


def test_default_local_profile_delivers_into_the_sandbox(
    run_composer, body: Path, composer_home: Path
) -> None:
    r = run_composer(
        "send",
        "--from",
        "ann@example.com",
        "--to",
        "bob@example.com",
        "--cc",
        "Cy <cy@example.com>",
        "--bcc",
        "dee@example.com",
        "--archive",
        "arc@example.com",
        "--subject",
        "Hi",
        "--markdown",
        str(body),
    )
    assert r.code == 0, r.err
    box = mailbox.Maildir(composer_home / "sandbox", create=False)
    copies = {m["Delivered-To"]: m for m in box}
    assert set(copies) == {
        "bob@example.com",
        "cy@example.com",
        "dee@example.com",
        "arc@example.com",
    }
    assert copies["dee@example.com"]["Bcc"] == "dee@example.com"
    assert copies["bob@example.com"]["Bcc"] is None
    assert all("Cy <cy@example.com>" in m["Cc"] for m in copies.values())
    assert all(m["X-MSYS-API"] is None for m in copies.values())


def test_auth_user_carries_the_subaccount(run_composer, server: FaultServer, body: Path) -> None:
    r = run_composer(*args_for(server, body, "--subaccount", "123"), env=KEY_ENV)
    assert r.code == 0, r.err
    assert USER  # the server accepts any SMTP_Injection-prefixed user with the right key


def test_profile_test_reports_each_step(run_composer, server: FaultServer) -> None:
    add = run_composer(*profile_add_args(server))
    assert add.code == 0, add.err
    ok = run_composer("profile", "test", "relay", "--ca-file", str(server.ca_file), env=KEY_ENV)
    assert ok.code == 0, ok.err
    assert "ok   STARTTLS" in ok.out and "ok   AUTH LOGIN" in ok.out
    bad = run_composer(
        "profile",
        "test",
        "relay",
        "--ca-file",
        str(server.ca_file),
        env={"COMPOSER_API_KEY": "wrong"},
    )
    assert bad.code == 3 and "FAIL AUTH LOGIN" in bad.out
    untrusted = run_composer("profile", "test", "relay", env=KEY_ENV)
    assert untrusted.code == 4 and "FAIL STARTTLS" in untrusted.out
    assert server.received == []
