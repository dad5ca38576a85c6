"""`composer templates`, `composer new --template`, `composer send --template`: the real
command in a subprocess."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

from composer.app.context import Context
from composer.app.templates import save_template
from composer.core.draft import Draft, Options, Recipient, load_draft

BUILTIN = {"announcement", "newsletter", "event-invitation", "plain-note", "receipt",
           "password-reset"}  # fmt: skip


def _mine(context: Context) -> None:
    draft = Draft(
        from_addr=Recipient("ann@example.com", "Ann"),
        to=[Recipient("secret-list@example.com")],
        bcc=[Recipient("boss@example.com")],
        subject="Weekly digest",
        body="# Digest\n\nHello",
        campaign_id="digest",
        tags=["weekly"],
        options=Options(click_tracking=False),
    )
    save_template(context, "Weekly Digest", "Our Friday round-up", draft)


def test_templates_lists_built_in_and_own_and_a_damaged_file(run_composer, context) -> None:
    _mine(context)
    (context.paths.templates / "broken.json").write_text("{not json", encoding="utf-8")
    r = run_composer("templates", "--json")
    assert r.code == 0, r.err
    listed = {t["key"]: t for t in json.loads(r.out)}
    assert set(listed) >= BUILTIN
    assert listed["weekly-digest"]["source"] == "user"
    assert listed["weekly-digest"]["name"] == "Weekly Digest"
    assert listed["weekly-digest"]["has_recipients"] is False  # never, unless asked
    assert listed["receipt"]["transactional"] is True
    assert "broken.json" in listed["broken"]["damaged"]
    text = run_composer("templates")
    assert text.code == 0
    assert re.search(r"^weekly-digest +Weekly Digest \(yours\) — Weekly digest$", text.out, re.M)
    assert "damaged" in text.out


def test_new_writes_a_draft_and_refuses_to_overwrite(run_composer, tmp_path: Path) -> None:
    out = tmp_path / "spring.json"
    r = run_composer("new", "--template", "Newsletter, two columns", "--output", str(out))
    assert r.code == 0, r.err
    draft = load_draft(out)
    assert draft.subject.startswith("The Example Monthly")
    assert draft.campaign_id == "newsletter-monthly"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    out.write_text("mine", encoding="utf-8")
    again = run_composer("new", "--template", "newsletter", "--output", str(out))
    assert again.code == 2
    assert "--output" in again.err and "--force" in again.err
    assert out.read_text(encoding="utf-8") == "mine"  # nothing lost
    forced = run_composer("new", "--template", "receipt", "--output", str(out), "--force")
    assert forced.code == 0, forced.err
    assert load_draft(out).options.transactional is True


def test_an_unknown_template_is_exit_2_with_close_names(run_composer, tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    r = run_composer("new", "--template", "pasword-reset", "--output", str(out))
    assert r.code == 2
    assert r.err.count("\n") == 1 and "did you mean password-reset" in r.err
    assert not out.exists()
    s = run_composer("send", "--template", "nope", "--dry-run")
    assert s.code == 2 and "--template: no template named 'nope'" in s.err


def test_send_template_uses_it_and_flags_replace_its_fields(run_composer, context) -> None:
    _mine(context)
    r = run_composer(
        "send", "--template", "weekly-digest", "--to", "bob@example.com",
        "--subject", "This week", "--tag", "friday", "--dry-run", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    [message] = json.loads(r.out)["messages"]
    assert message["rcpt_to"] == ["bob@example.com"]  # the template held none
    assert message["mail_from"] == "ann@example.com"  # From comes from the template
    assert message["x_msys_api"]["campaign_id"] == "digest"
    assert message["x_msys_api"]["tags"] == ["friday"]  # the flag replaced the template's
    assert message["x_msys_api"]["options"] == {"click_tracking": False}
    assert "boss@example.com" not in r.out  # bcc was not kept in the template


def test_draft_and_template_together_is_exit_2_naming_both(run_composer, tmp_path) -> None:
    r = run_composer("send", "--draft", str(tmp_path / "d.json"), "--template", "receipt",
                     "--to", "b@example.com", "--dry-run")  # fmt: skip
    assert r.code == 2
    assert "--template" in r.err and "--draft" in r.err


def test_a_template_sends_through_the_local_relay(run_composer, context) -> None:
    r = run_composer("send", "--template", "password-reset", "--from", "no-reply@example.com",
                     "--to", "ann@example.com")  # fmt: skip
    assert r.code == 0, r.err
    delivered = list((context.sandbox).rglob("*"))
    copies = [p for p in delivered if p.is_file() and p.parent.name == "new"]
    assert copies and b"Reset your password" in copies[0].read_bytes()


def test_a_template_file_naming_an_attachment_never_mails_it(run_composer, context,
                                                              tmp_path: Path) -> None:
    """A hand-edited (or planted) template naming a private file: the file stays home."""
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY MATERIAL", encoding="utf-8")
    folder = context.paths.templates
    folder.mkdir(mode=0o700)
    doc = {"format": "composer-draft", "version": 1, "name": "Planted", "subject": "Hi",
           "body": "<p>hi</p>", "body_format": "html",
           "attachments": [{"path": str(secret), "filename": "report.pdf"}]}  # fmt: skip
    (folder / "planted.json").write_text(json.dumps(doc), encoding="utf-8")
    r = run_composer("send", "--template", "planted", "--from", "a@example.com",
                     "--to", "b@example.com", "--dry-run")  # fmt: skip
    assert r.code == 0, r.err
    assert "PRIVATE KEY" not in r.out and "report.pdf" not in r.out and "id_rsa" not in r.out
    assert "Content-Disposition" not in r.out
