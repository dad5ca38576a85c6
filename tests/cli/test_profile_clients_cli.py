"""Issue 14: the target clients are configurable per profile (``profile add/edit --clients``)
and ``--clients``; ``composer check`` and ``send`` use the profile's when no ``--clients`` is
given. Run as the real installed command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# display:flex and a <style> in the head: clients differ on both, so findings name clients
PAGE = (
    '<!doctype html><html lang="en"><head><title>Hi</title>'
    "<style>@media (max-width:600px){p{color:red}}</style></head><body>\n"
    '<div style="display:flex;gap:8px"><p>Hello there</p></div>\n'
    '<p><a href="https://x.example/u" data-msys-unsubscribe="1">Unsubscribe</a></p>\n'
    "</body></html>\n"
)
MINE = ["gmail.ios", "outlook.windows"]


@pytest.fixture
def html(tmp_path: Path) -> Path:
    p = tmp_path / "body.html"
    p.write_text(PAGE, encoding="utf-8")
    return p


def check(run_composer, body: Path, *extra: str):
    r = run_composer("check", "--from", "ann@example.com", "--to", "bob@example.com",
                     "--subject", "Hi", "--html", str(body), "--json", *extra)  # fmt: skip
    assert r.code == 0, r.err
    return json.loads(r.out)


def named_clients(doc) -> set[str]:
    return {c for f in doc["findings"] for c in f["clients"]}


def test_check_uses_the_profiles_clients(run_composer, html: Path) -> None:
    default = check(run_composer, html)
    assert named_clients(default) - set(MINE), "the default set names other clients too"
    r = run_composer("profile", "add", "two", "--provider", "local", "--clients", ",".join(MINE))
    assert r.code == 0, r.err
    assert "clients:    gmail.ios,outlook.windows" in run_composer("profile", "show", "two").out
    doc = check(run_composer, html, "--profile", "two")
    assert doc["clients"] == MINE
    assert named_clients(doc) and named_clients(doc) <= set(MINE)
    # --clients still wins over the profile's
    doc = check(run_composer, html, "--profile", "two", "--clients", "apple-mail.ios")
    assert doc["clients"] == ["apple-mail.ios"] and named_clients(doc) <= {"apple-mail.ios"}


def test_edit_sets_and_resets_the_clients(run_composer, html: Path) -> None:
    assert run_composer("profile", "add", "dev", "--provider", "local").code == 0
    r = run_composer("profile", "edit", "dev", "--clients", "outlook.windows")
    assert r.code == 0, r.err
    assert check(run_composer, html, "--profile", "dev")["clients"] == ["outlook.windows"]
    assert run_composer("profile", "edit", "dev", "--clients", "default").code == 0
    assert "clients:    default" in run_composer("profile", "show", "dev").out
    assert len(check(run_composer, html, "--profile", "dev")["clients"]) == 9


@pytest.mark.parametrize("action", ["add", "edit"])
def test_an_unknown_client_is_exit_2_naming_the_flag(
    run_composer, composer_home: Path, action: str
) -> None:
    assert run_composer("profile", "add", "dev", "--provider", "local").code == 0
    before = sorted(p.read_bytes() for p in composer_home.rglob("*.json"))
    args = ["--provider", "local"] if action == "add" else []
    r = run_composer("profile", action, "x" if action == "add" else "dev", *args,
                     "--clients", "gmail.ios,hotmail.msn")  # fmt: skip
    assert r.code == 2
    assert r.err.startswith("error: --clients: unknown client id 'hotmail.msn'; known: ")
    assert "Traceback" not in r.err
    assert sorted(p.read_bytes() for p in composer_home.rglob("*.json")) == before


def test_send_takes_the_profiles_clients_and_refuses_a_bad_flag(run_composer, html: Path) -> None:
    assert run_composer("profile", "add", "dev", "--provider", "local",
                        "--clients", "outlook.windows").code == 0  # fmt: skip
    base = ["send", "--dry-run", "--profile", "dev", "--from", "ann@example.com",
            "--to", "bob@example.com", "--subject", "Hi", "--html", str(html)]  # fmt: skip
    assert run_composer(*base).code == 0
    r = run_composer(*base, "--clients", "nope")
    assert r.code == 2 and "--clients: unknown client id 'nope'" in r.err


def test_an_old_profiles_file_without_clients_still_loads(run_composer, composer_home, html):
    assert run_composer("profile", "add", "dev", "--provider", "local").code == 0
    file = next(composer_home.rglob("profiles.json"))
    assert "clients" not in file.read_text(encoding="utf-8")  # the default is not written
    assert len(check(run_composer, html, "--profile", "dev")["clients"]) == 9
