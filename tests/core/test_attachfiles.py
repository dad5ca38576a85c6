"""Attachments are regular files a person can see: never /proc, /sys, /dev, a FIFO, a socket,
a device or a symlink to one; the name sent is the file's own; a draft file's attachments
outside its folder and the home folder are listed for the CLI and the window to refuse / ask."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from pathlib import Path

import pytest

from composer.core import attachfiles
from composer.core.attachfiles import (
    AttachmentFileError,
    check_attachment_file,
    outside_places,
    read_attachment,
)
from composer.core.build import build_message
from composer.core.draft import Attachment, Draft, Recipient, dumps_draft, loads_draft
from composer.core.errors import InvalidDraft
from composer.core.validate import validate
from composer.store.drafts import DraftStore


def draft(*attachments: Attachment) -> Draft:
    return Draft(
        from_addr=Recipient("ann@example.com"),
        to=[Recipient("bob@example.com")],
        subject="Report",
        body="See the attachment.",
        attachments=list(attachments),
    )


def attachment_errors(d: Draft) -> list[str]:
    return [p.message for p in validate(d) if p.field.startswith("attachments") and p.is_error]


def refused_everywhere(path: str) -> str:
    """Refused by validation, by the build and by the reader; returns validation's words."""
    d = draft(Attachment(path, filename="report.pdf"))
    errors = attachment_errors(d)
    assert errors, f"{path} was accepted by validation"
    with pytest.raises(InvalidDraft):
        build_message(d)
    with pytest.raises(AttachmentFileError):
        read_attachment(path)
    return errors[0]


def test_proc_self_environ_named_report_pdf_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("COMPOSER_API_KEY", "secret-key-must-not-leave")
    assert "system file under /proc" in refused_everywhere("/proc/self/environ")


@pytest.mark.parametrize("path", ["/dev/null", "/dev/zero", "/sys/kernel/mm/transparent_hugepage"])
def test_dev_and_sys_are_refused(path: str) -> None:
    if not os.path.exists(path):
        pytest.skip(f"{path} does not exist on this machine")
    assert "system file" in refused_everywhere(path)


def test_a_symlink_into_proc_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "report.pdf"
    link.symlink_to("/proc/self/environ")
    assert "leads to /proc" in refused_everywhere(str(link))


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "report.pdf"
    os.mkfifo(fifo)
    start = time.monotonic()
    assert "named pipe" in refused_everywhere(str(fifo))
    assert time.monotonic() - start < 5  # open() of a FIFO with no writer would block forever


def test_a_socket_is_refused() -> None:
    # AF_UNIX paths are at most ~107 bytes: pytest's tmp_path can be longer.
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        path = os.path.join(folder, "s.pdf")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.bind(path)
            assert "socket" in refused_everywhere(path)


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert "folder" in refused_everywhere(str(tmp_path))


def test_a_file_swapped_between_check_and_read_is_caught(tmp_path, monkeypatch) -> None:
    """The race: the path is checked, then replaced before it is opened."""
    real = tmp_path / "report.pdf"
    real.write_bytes(b"%PDF the real report")
    other = tmp_path / "other"
    other.write_bytes(b"something else entirely")
    checked = attachfiles.check_attachment_file

    def check_then_swap(path: str):
        result = checked(path)
        os.replace(other, real)  # what another process could do at this very moment
        return result

    monkeypatch.setattr(attachfiles, "check_attachment_file", check_then_swap)
    with pytest.raises(AttachmentFileError, match="replaced"):
        read_attachment(str(real))


def test_a_symlink_swapped_in_after_the_check_is_not_followed(tmp_path, monkeypatch) -> None:
    real = tmp_path / "report.pdf"
    real.write_bytes(b"%PDF")
    checked = attachfiles.check_attachment_file

    def check_then_link(path: str):
        result = checked(path)
        real.unlink()
        real.symlink_to("/proc/self/environ")
        return result

    monkeypatch.setattr(attachfiles, "check_attachment_file", check_then_link)
    with pytest.raises(AttachmentFileError):
        read_attachment(str(real))


def test_an_ordinary_file_and_a_symlink_to_it_are_fine(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 data")
    link = tmp_path / "link.pdf"
    link.symlink_to(pdf)
    assert read_attachment(str(link)) == b"%PDF-1.4 data"
    assert attachment_errors(draft(Attachment(str(link)))) == []
    assert check_attachment_file(str(link))[0] == str(pdf.resolve())


def test_a_draft_file_cannot_rename_an_attachment(tmp_path: Path) -> None:
    """A draft from elsewhere calling id_rsa "report.pdf": the recipient sees id_rsa."""
    key = tmp_path / "id_rsa"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    doc = json.loads(dumps_draft(draft(Attachment(str(key), filename="report.pdf"))))
    loaded = loads_draft(json.dumps(doc))
    assert loaded.attachments[0].display_name == "id_rsa"
    msg = build_message(loaded).data
    assert b'filename="id_rsa"' in msg and b"report.pdf" not in msg


def test_a_rename_made_in_this_session_survives_a_crash(tmp_path: Path) -> None:
    """The app's own autosave keeps the name the person gave (it is not a file from outside)."""
    pdf = tmp_path / "q3.pdf"
    pdf.write_bytes(b"%PDF")
    store = DraftStore(tmp_path / "drafts")
    store.autosave("d1", draft(Attachment(str(pdf), filename="Quarterly report.pdf")), None)
    (recovered,) = store.recoverable()
    assert recovered.draft.attachments[0].display_name == "Quarterly report.pdf"


def test_outside_places(tmp_path: Path) -> None:
    home = tmp_path / "home"
    drafts = tmp_path / "elsewhere" / "drafts"
    (home / "docs").mkdir(parents=True)
    drafts.mkdir(parents=True)
    (home / "docs" / "a.pdf").write_bytes(b"a")
    (drafts / "b.pdf").write_bytes(b"b")
    (home / "etc-link").symlink_to("/etc")
    paths = [
        str(home / "docs" / "a.pdf"),  # in the home
        str(drafts / "b.pdf"),  # beside the draft
        "/etc/passwd",  # neither
        str(home / "etc-link" / "passwd"),  # looks like the home, is /etc
        str(tmp_path / "elsewhere" / "x.pdf"),  # above the draft's folder
        "/proc/self/environ",
    ]
    assert outside_places(paths, drafts / "news.json", home=home) == [2, 3, 4, 5]


def test_hidden_folders_in_the_home_are_outside(tmp_path: Path) -> None:
    """~/.ssh, ~/.gnupg, ~/.aws, ~/.config hold keys, not documents: a draft from ~/Downloads
    naming one, or ~/.netrc, counts as "outside" (finding 7), unless it is in the draft's own
    folder."""
    home = tmp_path / "home"
    drafts = home / "Downloads"
    drafts.mkdir(parents=True)
    secrets = [home / ".ssh" / "id_rsa", home / ".aws" / "credentials",
               home / "docs" / ".private" / "x.pdf", home / ".config" / "app" / "token",
               home / ".netrc"]  # fmt: skip
    for path in secrets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("secret")
    (home / "docs" / "a.pdf").write_text("a")
    ok = [str(home / "docs" / "a.pdf")]
    found = outside_places([*ok, *map(str, secrets)], drafts / "news.json", home=home)
    assert found == [1, 2, 3, 4, 5]
    # The draft's own folder is the person's choice, hidden or not: ~/.drafts/d.json + a.pdf.
    own = home / ".drafts"
    own.mkdir()
    (own / "logo.png").write_text("png")
    (own / ".hidden.png").write_text("png")
    paths = [str(own / "logo.png"), str(own / ".hidden.png"), str(home / ".ssh" / "id_rsa")]
    assert outside_places(paths, own / "d.json", home=home) == [2]


def test_a_home_or_draft_folder_of_root_counts_for_nothing() -> None:
    assert outside_places(["/etc/passwd"], "/draft.json", home="/") == [0]


def test_a_pseudo_file_reached_another_way_is_still_refused(monkeypatch) -> None:
    """/proc bind-mounted elsewhere (a container's /host/proc) escapes the path check; its files
    say size 0 and then give bytes, which the reader refuses."""
    monkeypatch.setattr(attachfiles, "SYSTEM_ROOTS", ())
    with pytest.raises(AttachmentFileError, match="changed while it was read"):
        read_attachment("/proc/self/environ")
