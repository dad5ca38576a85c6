"""`composer send --inline FILE[=CID]`, run as the real command: to a real aiosmtpd over
STARTTLS, through the local relay's fan-out into its Maildir, into an .eml; and hostile input
refused with exit 2 and one line naming the field."""

from __future__ import annotations

import email
import json
import mailbox
from email import policy
from pathlib import Path

import pytest
from support.cli import connection_args, send_args
from support.images import gif_1x1, png
from support.smtp_faults import GOOD_KEY, FaultServer

KEY_ENV = {"COMPOSER_API_KEY": GOOD_KEY}
BODY = '# Spring\n\n![Acme](cid:logo)\n\nNews.\n\n<img src="cid:dot.gif" alt="" width="1">\n'


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "body.md").write_text(BODY, encoding="utf-8")
    (tmp_path / "acme logo.png").write_bytes(png(120, 40))
    (tmp_path / "dot.gif").write_bytes(gif_1x1())
    return tmp_path


def inline_flags(d: Path) -> list[str]:
    return ["--inline", f"{d / 'acme logo.png'}=logo", "--inline", str(d / "dot.gif")]


def check_related(data: bytes) -> None:
    msg = email.message_from_bytes(data, policy=policy.default)
    alternative = msg.get_payload()
    assert [p.get_content_type() for p in alternative] == ["text/plain", "multipart/related"]
    html, logo, dot = alternative[1].get_payload()
    assert 'src="cid:logo"' in html.get_content() and 'src="cid:dot.gif"' in html.get_content()
    assert (logo["Content-ID"], logo.get_content_type(), logo.get_content()) == (
        "<logo>",
        "image/png",
        png(120, 40),
    )
    assert (dot["Content-ID"], dot.get_content()) == ("<dot.gif>", gif_1x1())


def test_inline_images_reach_a_real_smtp_server(run_composer, server: FaultServer, files) -> None:
    args = send_args(
        files / "body.md", *connection_args(server, ca_file=server.ca_file), *inline_flags(files)
    )
    r = run_composer(*args, "--json", env=KEY_ENV)
    assert r.code == 0, r.err
    (received,) = server.kept()
    check_related(received.data)


def test_eml_export_carries_them(run_composer, files) -> None:
    eml = files / "out.eml"
    r = run_composer(
        *send_args(files / "body.md", *inline_flags(files)), "--dry-run", "--eml", str(eml)
    )
    assert r.code == 0, r.err
    check_related(eml.read_bytes())


def test_the_local_relay_delivers_them_to_every_copy(
    run_composer, files, composer_home: Path
) -> None:
    r = run_composer(
        *send_args(files / "body.md", *inline_flags(files)),
        "--cc", "cy@example.com", "--bcc", "dee@example.com",
        "--provider", "local", "--json",
    )  # fmt: skip
    assert r.code == 0, r.err
    box = mailbox.Maildir(composer_home / "sandbox", create=False)
    copies = [m.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for m in box]
    assert len(copies) == 3  # to, cc, bcc: each copy keeps the related part
    for data in copies:
        msg = email.message_from_bytes(data, policy=policy.default)
        related = msg.get_payload()[-1]
        assert related.get_content_type() == "multipart/related"
        assert [p["Content-ID"] for p in related.get_payload()[1:]] == ["<logo>", "<dot.gif>"]
        assert related.get_payload()[1].get_content() == png(120, 40)


def error_line(r) -> str:
    assert r.code == 2, (r.code, r.out, r.err)
    assert "Traceback" not in r.err
    return r.err


def test_a_file_that_is_not_an_image(run_composer, files) -> None:
    (files / "logo.png").write_bytes(b"#!/bin/sh\necho not an image\n")
    r = run_composer(
        *send_args(files / "body.md", "--inline", f"{files / 'logo.png'}=logo"), "--dry-run"
    )
    err = error_line(r)
    assert "Inline image #1:" in err and "is not a PNG, JPEG, GIF or WebP image" in err


def test_a_missing_file(run_composer, files) -> None:
    r = run_composer(
        *send_args(files / "body.md", "--inline", f"{files / 'nope.png'}=logo"), "--dry-run"
    )
    assert "Inline image #1: file not found" in error_line(r)


@pytest.mark.parametrize("cid", ["my logo", 'lo"go', "lo<go>", "a\r\nBcc: eve@example.com"])
def test_hostile_cid_names_on_the_command_line(run_composer, files, cid: str) -> None:
    r = run_composer(
        *send_args(files / "body.md", "--inline", f"{files / 'dot.gif'}={cid}"), "--dry-run"
    )
    err = error_line(r)
    assert err.startswith("error: --inline:") and "letters, digits" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["a" * 5000, "a" * 300, "a" * 5000 + "=logo"])
def test_a_file_name_too_long_for_the_system(run_composer, files, name: str) -> None:
    # Path.exists() raised ENAMETOOLONG: "Composer hit an internal problem", exit 1.
    r = run_composer(*send_args(files / "body.md", "--inline", str(files / name)), "--dry-run")
    err = error_line(r)
    assert r.code == 2 and "internal problem" not in err
    assert "error: Inline image #1: cannot use" in err and "File name too long" in err


def test_a_cid_reference_with_no_image(run_composer, files) -> None:
    r = run_composer(
        *send_args(files / "body.md", "--inline", f"{files / 'acme logo.png'}=logo"), "--dry-run"
    )
    assert "Body: refers to cid:dot.gif, but no inline image has that content id" in error_line(r)


def draft_file(folder: Path, inline: list[dict[str, str]]) -> Path:
    doc = {
        "from": {"email": "ann@example.com"},
        "to": [{"email": "bob@example.com"}],
        "subject": "Hi",
        "body": '<img src="cid:logo">',
        "body_format": "html",
        "inline_images": inline,
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "d.json").write_text(json.dumps(doc), encoding="utf-8")
    return folder / "d.json"


def test_a_draft_naming_a_hidden_home_file_is_refused(
    run_composer, tmp_path: Path, monkeypatch
) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_bytes(png(1, 1))  # even an image: a file they never chose
    d = draft_file(tmp_path / "elsewhere", [{"path": str(home / ".ssh/id_rsa"), "cid": "logo"}])
    r = run_composer("send", "--draft", str(d), "--dry-run", env={"HOME": str(home)})
    err = error_line(r)
    assert "inline_images[0].path:" in err and "--allow-attachments-anywhere" in err
    ok = run_composer(
        "send", "--draft", str(d), "--dry-run", "--allow-attachments-anywhere",
        env={"HOME": str(home)},
    )  # fmt: skip
    assert ok.code == 0, ok.err


def test_a_draft_with_a_crlf_cid(run_composer, files) -> None:
    d = draft_file(files, [{"path": str(files / "dot.gif"), "cid": "logo\r\nX: y"}])
    err = error_line(run_composer("send", "--draft", str(d), "--dry-run"))
    assert "Inline image #1: the content id" in err


def test_a_huge_image_is_refused_before_it_is_read(run_composer, files) -> None:
    huge = files / "huge.png"
    with huge.open("wb") as f:  # sparse: 25 MB to stat, nothing on disk
        f.write(png(1, 1))
        f.truncate(25_000_000)
    body = files / "big.md"
    body.write_text("![x](cid:huge)\n", encoding="utf-8")
    r = run_composer(*send_args(body, "--inline", f"{huge}=huge"), "--dry-run")
    err = error_line(r)
    assert "Inline image: the message would be at least 33.3 MB" in err
    assert "the limit is 20.0 MB" in err
