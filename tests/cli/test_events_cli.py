"""``composer events`` as a person runs it (subprocesses, a real send through the local relay
first): exit 0 when every recipient was delivered, 3 when one bounced (its reason and class
said), 4 when one is still delayed when ``--wait`` runs out or the relay cannot be asked
(401/403 in plain words, the key never shown); what it learnt stays in the history."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from support.events_api import Answer, EventsApi

from composer.app.context import Context
from composer.transport.profiles.store import Profile

KEY = "events-cli-key-51c0"


@pytest.fixture
def sent(run_composer, tmp_path: Path):
    """Send one message through the local relay (in-process, SMTP) to the given recipients."""
    body = tmp_path / "body.txt"
    body.write_text("Hello\n")
    assert run_composer("profile", "add", "loc", "--provider", "local").code == 0

    def send(*rcpts: str, env: dict[str, str] | None = None, cc: tuple[str, ...] = ()) -> None:
        to = [a for r in rcpts for a in ("--to", r)] + [a for r in cc for a in ("--cc", r)]
        args = ["--subject", "Did it arrive?", "--text", str(body)]
        result = run_composer("send", "--profile", "loc", "--from", "ann@example.org", *to,
                              *args, env=env)  # fmt: skip
        assert result.code == 0, result.err

    return send


def test_exit_0_when_every_recipient_was_delivered(run_composer, sent) -> None:
    sent("bob@example.org", "carol@example.org")
    result = run_composer("events", "--wait", "20")
    assert result.code == 0, result.err
    assert "bob@example.org" in result.out and "carol@example.org" in result.out
    assert result.out.count("delivered") == 2


def test_exit_3_when_one_bounced_with_its_reason_and_class(run_composer, sent) -> None:
    sent("bob@example.org", "gone@bounce.example.com")
    result = run_composer("events", "--last", "--wait", "20", "--json")
    assert result.code == 3, result.err
    doc = json.loads(result.out)
    assert doc["exit_code"] == 3
    (send,) = doc["sends"]
    states = {r["rcpt"]: r for r in send["recipients"]}
    assert states["bob@example.org"]["state"] == "delivered"
    gone = states["gone@bounce.example.com"]
    assert (gone["state"], gone["bounce_class"]) == ("bounced", 10)
    assert gone["bounce_class_name"] == "10 Invalid Recipient (hard)"
    assert "User unknown" in gone["reason"]
    assert send["transmission_id"]  # found again by its injection (SMTP send)


def test_a_cc_copy_that_bounced_is_followed_too(run_composer, sent) -> None:
    """The Cc copy is the relay's, not an envelope recipient of ours: its bounce still counts."""
    sent("bob@example.org", cc=("gone@bounce.example.com",))
    result = run_composer("events", "--last", "--wait", "20", "--json")
    assert result.code == 3, result.err
    (send,) = json.loads(result.out)["sends"]
    states = {r["rcpt"]: r["state"] for r in send["recipients"]}
    assert states == {"bob@example.org": "delivered", "gone@bounce.example.com": "bounced"}


def test_exit_4_when_one_is_still_delayed_when_the_wait_ends(run_composer, sent) -> None:
    hold = {"COMPOSER_SANDBOX_DEFER": "3600"}
    sent("slow@defer.example.com", env=hold)
    started = time.monotonic()
    result = run_composer("events", "--wait", "2", env=hold)
    assert result.code == 4, result.err
    assert time.monotonic() - started >= 2  # it did wait (and asked again meanwhile)
    assert "delayed: 70 Transient Failure" in result.out
    assert "no final state yet" in result.err


def test_the_history_keeps_what_was_learnt(run_composer, sent, context: Context) -> None:
    sent("gone@bounce.example.com")
    assert run_composer("events").code == 3
    with context.history() as history:
        (entry,) = history.recent()
        stored = history.events([entry.id])[entry.id]
    assert {e.type for e in stored} == {"injection", "bounce"}
    # and `composer history` shows it offline, asking nobody
    listed = run_composer("history")
    assert "gone@bounce.example.com: bounced: 10 Invalid Recipient (hard)" in listed.out
    (doc,) = json.loads(run_composer("history", "--json").out)
    assert [r["state"] for r in doc["delivery"]] == ["bounced"]


@pytest.mark.parametrize("status", [401, 403])
def test_a_key_without_the_events_permission_is_said_plainly(
    run_composer, sent, context: Context, status: int
) -> None:
    sent("bob@example.org")
    refusal = {"errors": [{"message": "Forbidden", "description": f"key {KEY} lacks grant"}]}
    with EventsApi(Answer(status, refusal)) as api:
        context.profiles().add(Profile.new("prod", "custom", host="127.0.0.1", port=2525,
                                           tls=False, api_url=api.url))  # fmt: skip
        result = run_composer("events", "--profile", "prod", env={"COMPOSER_API_KEY": KEY})
    assert result.code == 4
    assert "this key lacks the 'Events Search: Read Only' permission" in result.err
    assert "composer profile set-key prod --events" in result.err
    assert "Traceback" not in result.err
    assert KEY not in result.out + result.err
    assert api.seen and api.seen[0].authorization == KEY


def test_bad_input_is_exit_2_naming_the_flag(run_composer) -> None:
    result = run_composer("events", "--wait", "-3")
    assert result.code == 2 and "--wait" in result.err
    result = run_composer("events", "--wait", "nan")
    assert result.code == 2 and "--wait" in result.err
    result = run_composer("events")
    assert result.code == 2 and "nothing has been sent yet" in result.err
