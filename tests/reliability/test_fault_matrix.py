"""The fault matrix, through the outbox: every case's messages go through send_batch with the
outbox hooks against a misbehaving aiosmtpd on loopback (support/smtp_faults.py). Each
message must end sent, failed with a reason (a refusal, or retries given up: what the CLI
reports is what the outbox holds, so a resume never sends what the person was told failed), or
unknown — never left "sending" or "awaiting" — and the server must hold no message twice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import trustme
from support.endpoints import smtp_endpoint
from support.smtp_faults import FaultServer

from composer.core.build import build_messages
from composer.core.draft import Draft, Recipient
from composer.store.outbox import Outbox
from composer.store.outbox_mover import OutboxMover
from composer.transport.batch import Hooks, SendOptions, send_batch
from composer.transport.smtp.session import SmtpSession

FAST = SendOptions(retries=3, retry_delay=0.01, max_delay=0.05)

# name: (server kwargs, scripts [(phase, reply)], endpoint overrides, messages, first's end state)
CASES: dict[str, tuple[dict[str, Any], list[tuple[str, str]], dict[str, Any], int, str]] = {
    "421 at MAIL": ({}, [("MAIL", "421 4.3.2 shutting down")], {}, 3, "sent"),
    "451 at MAIL": ({}, [("MAIL", "451 4.3.0 busy")], {}, 3, "sent"),
    "421 at RCPT": ({}, [("RCPT", "421 4.3.2 shutting down")], {}, 3, "sent"),
    "451 at RCPT": ({}, [("RCPT", "451 4.3.0 busy")], {}, 3, "sent"),
    "421 at end of DATA": ({}, [("DATA", "421 4.3.2 shutting down")], {}, 3, "sent"),
    "451 at end of DATA": ({}, [("DATA", "451 4.3.0 busy")], {}, 3, "sent"),
    "451 every time": ({}, [("DATA", "451 4.3.0 busy")] * 20, {}, 3, "failed"),
    "550 at MAIL": ({}, [("MAIL", "550 5.7.1 Unconfigured Sending Domain")], {}, 3, "failed"),
    "550 at end of DATA": ({}, [("DATA", "550 5.6.0 bad X-MSYS-API")], {}, 3, "failed"),
    "554 at end of DATA": ({}, [("DATA", "554 5.7.1 Message rejected")], {}, 3, "failed"),
    "535 wrong key": ({}, [], {"password": "wrong"}, 3, "failed"),
    "drop after the final dot": ({}, [("DATA", "drop")], {}, 3, "unknown"),
    "reply slower than the timeout": (
        {},
        [("DATA", "slow:2")],
        {"final_timeout": 0.3},
        3,
        "unknown",
    ),
    "idle drop": ({"idle_timeout": 0.5}, [], {}, 3, "sent"),
    "STARTTLS refused (454)": ({"refuse": True}, [], {}, 3, "failed"),
    "STARTTLS absent": ({"tls": False}, [], {}, 3, "failed"),
    "self-signed certificate": ({}, [], {"ca_file": None}, 3, "failed"),
    "wrong host name": ({"cert_hosts": ("wrong.example",)}, [], {}, 3, "failed"),
    "101 messages in one batch": ({}, [], {}, 101, "sent"),
}


def run_case(tmp: Path, ca: trustme.CA, name: str, connections: int = 1) -> dict[str, Any]:
    """``connections`` > 1: the batch spreads over that many connections (issue 17), the
    outbox told of each result from its connection's thread, and the server offers
    PIPELINING; each case sends at least three messages per connection. The scripted faults
    then land on whichever message reaches that phase first, so the expected end must be
    among the states rather than the first message's; "idle drop" becomes a retry wait
    (0.8 s) longer than the server's idle timeout, after which that connection is found
    dropped."""
    server_kw, scripts, ep_kw, count, first_end = CASES[name]
    server_kw = dict(server_kw)
    refuse = server_kw.pop("refuse", False)
    options = replace(FAST, connections=connections)
    if connections > 1:
        count = max(count, 3 * connections)  # several per connection: groups written ahead
    if connections > 1 and name == "idle drop":
        scripts = [("DATA", "451 4.3.0 busy")]
        options = replace(options, retry_delay=0.8, max_delay=1.0)
    folder = tmp / f"{connections}-" / name.replace(" ", "_").replace("(", "").replace(")", "")
    folder.mkdir(parents=True)
    # Over several connections the server offers PIPELINING too: groups written ahead
    # behind a final "." meet every fault as well.
    server = FaultServer(ca, folder, pipelining=connections > 1, **server_kw).start()
    server.refuse_starttls = refuse
    for phase, reply in scripts:
        server.script(phase, reply)
    draft = Draft(from_addr=Recipient("ann@example.com"), subject=name, body="Hello")
    msgs = build_messages(draft, seeds=[Recipient(f"s{i}@example.com") for i in range(count)])
    try:
        with Outbox(folder / "outbox.sqlite3") as outbox:
            items = outbox.claim(outbox.enqueue(msgs, "matrix", name))
            mover = OutboxMover(outbox, items)
            if connections > 1:
                send_batch(
                    msgs,
                    None,
                    options=options,
                    hooks=Hooks(
                        on_settled=mover.on_result,
                        before_final_reply=mover.before_final_reply,
                    ),
                    sessions=lambda: SmtpSession(smtp_endpoint(server, **ep_kw)),
                )
            else:
                _send_on_one_session(server, ep_kw, name, msgs, items, outbox, mover)
            mover.flush()
            final = [outbox.get(i.id) for i in items]
    finally:
        server.stop()
    states = [f.state for f in final if f is not None]
    bad = [
        f"{f.id} {f.state} {f.reason!r}"
        for f in final
        if f is not None
        and (
            f.state not in ("sent", "failed", "unknown", "queued")
            or (f.state in ("failed", "queued", "unknown") and not f.reason)
        )
    ]
    if connections == 1 and states[0] != first_end:
        bad.append(f"first message ended {states[0]}, expected {first_end}")
    if connections > 1 and first_end not in states:
        bad.append(f"no message ended {first_end}: {states}")
    return {
        "case": name,
        "messages": count,
        "states": states,
        "duplicates": server.duplicates(),
        "bad": bad,
    }


def _send_on_one_session(
    server: FaultServer,
    ep_kw: dict[str, Any],
    name: str,
    msgs: list[Any],
    items: list[Any],
    outbox: Outbox,
    mover: OutboxMover,
) -> None:
    hooks = Hooks(on_result=mover.on_result, before_final_reply=mover.before_final_reply)
    with SmtpSession(smtp_endpoint(server, **ep_kw)) as session:
        if name != "idle drop":
            send_batch(msgs, None, options=FAST, hooks=hooks, session=session)
            return
        send_batch(msgs[:1], None, options=FAST, hooks=hooks, session=session)
        assert server.closed.wait(10), "the server should drop the idle connection"
        mover.flush()
        rest = OutboxMover(outbox, items[1:])
        send_batch(
            msgs[1:],
            None,
            options=FAST,
            session=session,
            hooks=Hooks(on_result=rest.on_result, before_final_reply=rest.before_final_reply),
        )
        rest.flush()


def run_matrix(tmp: Path, connections: int = 1) -> dict[str, Any]:
    ca = trustme.CA()
    rows = [run_case(tmp, ca, name, connections) for name in CASES]
    total = sum(r["messages"] for r in rows)
    dups = sum(r["duplicates"] for r in rows)
    bad = [f"{r['case']}: {b}" for r in rows for b in r["bad"]]
    print(
        f"\nfault matrix over {connections} connection(s): {len(rows)} cases x messages = "
        f"{total} messages, "
        f"{dups} duplicates, {len(bad)} messages without an honest end state"
    )
    for r in rows:
        ends = {s: r["states"].count(s) for s in dict.fromkeys(r["states"])}
        print(f"  {r['case']:<32} {r['messages']:>4}  {ends}  dup {r['duplicates']}")
    return {"cases": len(rows), "messages": total, "duplicates": dups, "bad": bad}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("connections", [1, 4])
def test_fault_matrix_every_message_ends_honestly(tmp_path: Path, connections: int) -> None:
    figures = run_matrix(tmp_path, connections)
    assert figures["duplicates"] == 0
    assert figures["bad"] == []
