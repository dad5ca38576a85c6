"""`composer outbox resume` takes send's connection flags, declared once (cli/connection.py),
and refuses what they refuse: resume used to re-declare them and ignore a REST-only flag."""

from __future__ import annotations

from composer.core.build import Envelope, OutgoingMessage

MESSAGE = b"From: ann@example.com\r\nTo: bob@example.com\r\nSubject: Hi\r\n\r\nHello\r\n"


def test_resume_refuses_api_url_on_an_smtp_profile_and_sends_nothing(
    run_composer, context
) -> None:
    with context.outbox() as outbox:
        (item,) = outbox.enqueue(
            [OutgoingMessage(Envelope("ann@example.com", ("bob@example.com",)), MESSAGE, "<m@x>")],
            "local",
            "Hi",
        )
    r = run_composer("outbox", "resume", "--api-url", "https://api.example.com/api/v1")
    assert r.code == 2, r.err
    assert r.err.startswith("error: --api-url:") and len(r.err.splitlines()) == 1, r.err
    with context.outbox() as outbox:
        assert outbox.get(item).state == "queued"  # still the person's to send
    assert not (context.sandbox / "new").exists() or not any((context.sandbox / "new").iterdir())


def test_resume_help_explains_every_connection_flag(run_composer) -> None:
    r = run_composer("outbox", "resume", "--help")
    assert r.code == 0
    for flag, words in [
        ("--timeout", "per SMTP command"),
        ("--ca-file", "trust this CA"),
        ("--api-url", "REST API base URL"),
        ("--fallback-port", "first cannot be reached"),
    ]:
        assert flag in r.out and words in r.out, flag
