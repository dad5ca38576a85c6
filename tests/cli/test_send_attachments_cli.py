"""`composer send` with hostile drafts: local files mailed out, oversized messages, deceptive
text. Each is refused (exit 2, one line naming the field) before any connection opens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.net import ConnectionCounter

SECRET = "k3y-that-must-never-leave-0123456789"
RLO = "\u202e"


def write_draft(path: Path, **fields) -> Path:
    doc = {
        "format": "composer-draft",
        "version": 1,
        "from": {"email": "ann@example.com", "name": "Ann"},
        "to": [{"email": "bob@example.com", "name": ""}],
        "subject": "Quarterly report",
        "body": "See the attachment.",
        **fields,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def send_for_real(run_composer, listener: ConnectionCounter, draft: Path, *extra: str):
    port = str(listener.port)
    return run_composer(
        "send",
        "--draft",
        str(draft),
        "--provider",
        "custom",
        "--host",
        "127.0.0.1",
        "--port",
        port,
        "--no-tls",
        "--timeout",
        "3",
        "--final-timeout",
        "3",
        "--retries",
        "0",
        *extra,
        env={"COMPOSER_API_KEY": SECRET},
        timeout=60,
    )


def one_line_error(r, *words: str) -> None:
    assert r.code == 2, (r.code, r.err)
    assert "Traceback" not in r.err
    for w in words:
        assert w in r.err, (w, r.err)


# --- item 2: local files mailed out -----------------------------------------------------------


def test_proc_self_environ_named_report_pdf_is_refused(run_composer, tmp_path, listener) -> None:
    draft = write_draft(
        tmp_path / "drafts" / "d.json",
        attachments=[{"path": "/proc/self/environ", "filename": "report.pdf"}],
    )
    r = send_for_real(run_composer, listener, draft)
    one_line_error(r, "attachments[0].path", "/proc/self/environ")
    assert SECRET not in r.out + r.err
    assert listener.settled() == []
    # Allowing files anywhere does not make /proc a document.
    r = send_for_real(run_composer, listener, draft, "--allow-attachments-anywhere")
    one_line_error(r, "Attachment #1", "system file under /proc")
    assert SECRET not in r.out + r.err
    assert listener.settled() == []


def test_attach_flag_refuses_system_files(run_composer, tmp_path) -> None:
    link = tmp_path / "report.pdf"
    link.symlink_to("/proc/self/environ")
    draft = write_draft(tmp_path / "d.json")
    r = run_composer("send", "--draft", str(draft), "--attach", str(link), "--dry-run")
    one_line_error(r, "Attachment #1", "system file under /proc")


def test_draft_attachments_outside_its_folder_and_home_need_the_flag(
    run_composer, tmp_path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    elsewhere = tmp_path / "elsewhere" / "notes.txt"
    elsewhere.parent.mkdir()
    elsewhere.write_text("private notes")
    draft = write_draft(tmp_path / "downloads" / "d.json", attachments=[{"path": str(elsewhere)}])
    env = {"HOME": str(home)}
    r = run_composer("send", "--draft", str(draft), "--dry-run", env=env)
    one_line_error(r, "attachments[0].path", str(elsewhere), "--allow-attachments-anywhere")
    assert "private notes" not in r.out
    r = run_composer(
        "send", "--draft", str(draft), "--dry-run", "--allow-attachments-anywhere", env=env
    )
    assert r.code == 0, r.err
    # Beside the draft, or in the home folder: no flag needed.
    for place in (draft.parent / "a.txt", home / "docs" / "b.txt"):
        place.parent.mkdir(exist_ok=True)
        place.write_text("fine")
        write_draft(draft, attachments=[{"path": str(place)}])
        assert run_composer("send", "--draft", str(draft), "--dry-run", env=env).code == 0


def test_a_draft_in_downloads_naming_a_key_in_the_home_needs_the_flag(
    run_composer, tmp_path
) -> None:
    """Finding 7: ~/Downloads/newsletter.json attaching ~/.ssh/id_rsa as logo.png."""
    home = tmp_path / "home"
    key = home / ".ssh" / "id_rsa"
    key.parent.mkdir(parents=True)
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY----- FAKESECRET")
    attachment = {"path": str(key), "filename": "logo.png", "content_type": "image/png"}
    draft = write_draft(home / "Downloads" / "newsletter.json", attachments=[attachment])
    env = {"HOME": str(home)}
    r = run_composer("send", "--draft", str(draft), "--dry-run", env=env)
    one_line_error(r, "attachments[0].path", str(key), "--allow-attachments-anywhere")
    assert "FAKESECRET" not in r.out and "LS0tLS1CRUdJTiBPUEVOU1NI" not in r.out  # nor base64


def test_the_name_sent_is_the_files_own(run_composer, tmp_path) -> None:
    key = tmp_path / "id_rsa"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    draft = write_draft(
        tmp_path / "d.json", attachments=[{"path": str(key), "filename": "report.pdf"}]
    )
    out = tmp_path / "m.eml"
    r = run_composer("send", "--draft", str(draft), "--dry-run", "--eml", str(out))
    assert r.code == 0, r.err
    data = out.read_bytes()
    assert b'filename="id_rsa"' in data and b"report.pdf" not in data


# --- item 11: size limits ---------------------------------------------------------------------


def test_a_50_mb_attachment_is_refused_before_connecting(run_composer, tmp_path, listener) -> None:
    big = tmp_path / "video.mp4"
    with big.open("wb") as f:
        f.truncate(50_000_000)
    draft = write_draft(tmp_path / "d.json", attachments=[{"path": str(big)}])
    r = send_for_real(run_composer, listener, draft)
    one_line_error(r, "Attachment", "20.0 MB", "the relay documents none")
    assert listener.settled() == []


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("subject", "x" * 10_000_000, "Subject"),
        ("metadata", {f"k{i}": "v" * 900 for i in range(1_200)}, "Metadata"),
    ],
    ids=["10MB-subject", "1MB-x-msys-api"],
)
def test_huge_header_fields_are_refused_before_connecting(
    run_composer, tmp_path, listener, field, value, label
) -> None:
    draft = write_draft(tmp_path / "d.json", **{field: value})
    r = send_for_real(run_composer, listener, draft)
    one_line_error(r, f"{label}:")
    assert listener.settled() == []


# --- item 12: deceptive text ------------------------------------------------------------------


def test_bidi_in_a_file_name_is_refused(run_composer, tmp_path) -> None:
    exe = tmp_path / f"invoice{RLO}fdp.exe"
    exe.write_bytes(b"MZ")
    draft = write_draft(tmp_path / "d.json")
    r = run_composer("send", "--draft", str(draft), "--attach", str(exe), "--dry-run")
    one_line_error(r, "Attachment #1", "U+202E")


def test_bidi_in_display_text_is_a_warning(run_composer, tmp_path) -> None:
    draft = write_draft(tmp_path / "d.json")
    r = run_composer(
        "send", "--draft", str(draft), "--tag", f"t{RLO}x", "--campaign", f"c{RLO}", "--dry-run"
    )
    assert r.code == 0, r.err
    assert "warning: Tag #1:" in r.err and "warning: Campaign ID:" in r.err


def test_a_65_character_local_part_is_refused(run_composer, tmp_path, listener) -> None:
    draft = write_draft(tmp_path / "d.json", to=[{"email": "a" * 65 + "@example.com"}])
    r = send_for_real(run_composer, listener, draft)
    one_line_error(r, "To #1", "at most 64")
    assert listener.settled() == []
