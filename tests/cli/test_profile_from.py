"""Issue 15 item 7: a profile's saved From fills an empty From (`composer send --profile`)."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

NO_KEYRING = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
SENDER = "News <news@acme.example>"


def _add(run_composer, name: str, *args: str) -> None:
    r = run_composer("profile", "add", name, *args, env=NO_KEYRING, stdin=b"")
    assert r.code == 0, r.err


def test_a_dry_run_takes_the_named_profiles_from(run_composer) -> None:
    _add(run_composer, "ent", "--provider", "sparkpost", "--from", SENDER)
    r = run_composer(
        "send", "--profile", "ent", "--to", "bob@example.com", "--subject", "Hi",
        "--text", "-", "--dry-run", stdin=b"hello\n", env=NO_KEYRING,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "From: News <news@acme.example>" in r.out
    assert "MAIL FROM:<news@acme.example>" in r.out


def test_a_typed_from_wins_over_the_profiles(run_composer) -> None:
    _add(run_composer, "ent", "--provider", "sparkpost", "--from", SENDER)
    r = run_composer(
        "send", "--profile", "ent", "--from", "ann@example.com", "--to", "bob@example.com",
        "--subject", "Hi", "--text", "-", "--dry-run", stdin=b"hello\n", env=NO_KEYRING,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "From: ann@example.com" in r.out
    assert "news@acme.example" not in r.out


def test_a_profile_without_a_from_still_asks_for_one(run_composer) -> None:
    _add(run_composer, "bare", "--provider", "sparkpost")
    r = run_composer(
        "send", "--profile", "bare", "--to", "bob@example.com", "--subject", "Hi",
        "--text", "-", "--dry-run", stdin=b"hello\n", env=NO_KEYRING,
    )  # fmt: skip
    assert r.code == 2
    assert "From: is required" in r.err


def test_a_real_send_through_the_default_profile_uses_its_from(
    run_composer, composer_home: Path
) -> None:
    _add(run_composer, "sandbox", "--provider", "local", "--from", SENDER)
    assert run_composer("profile", "default", "sandbox", env=NO_KEYRING).code == 0
    r = run_composer(
        "send", "--to", "bob@example.com", "--subject", "Hi", "--text", "-",
        stdin=b"hello\n", env=NO_KEYRING,
    )  # fmt: skip
    assert r.code == 0, r.err
    sandbox = composer_home / "sandbox"
    delivered = [p for p in sandbox.rglob("*") if p.is_file() and p.parent.name in ("new", "cur")]
    assert len(delivered) == 1
    msg = message_from_bytes(delivered[0].read_bytes(), policy=default_policy)
    assert msg["From"] == SENDER
