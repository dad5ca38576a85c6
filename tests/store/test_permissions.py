"""Mail on disk is the person's alone: every folder Composer creates is 0700, every file 0600.

Real commands run in subprocesses with the permissive umask most desktops have (022), then
COMPOSER_HOME (and the other folders they wrote) is walked. The stores are also checked in
this process, without the CLI's umask, so each explicit mode is tested on its own.
"""

from __future__ import annotations

import os
import smtplib
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.net import free_port

from composer.core.build import Envelope, OutgoingMessage
from composer.core.draft import Draft, Recipient
from composer.relay.fanout import Copy
from composer.relay.maildir import deliver
from composer.relay.sink import Sink
from composer.store.atomic import atomic_write_bytes
from composer.store.paths import secure_home

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

MESSAGE = b"From: ann@example.com\r\nTo: bob@example.com\r\nSubject: Private\r\n\r\nHello\r\n"


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual desktop umask, inherited by the subprocesses: files 0644, folders 0755."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def loose(*roots: Path) -> list[str]:
    """Every folder not 0700 and every file not 0600 under `roots` (the roots included)."""
    found = []
    for root in roots:
        for path in [root, *root.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            want = 0o700 if path.is_dir() else 0o600
            if mode != want:
                found.append(f"{path.relative_to(root.parent)} {mode:o}")
    return found


def sample_draft() -> Draft:
    return Draft(
        from_addr=Recipient("ann@example.com"), to=[Recipient("bob@example.com")], subject="S"
    )


def test_real_commands_leave_nothing_readable_by_others(
    umask_022: None, run_composer, composer_home: Path, tmp_path: Path
) -> None:
    body = tmp_path / "body.md"
    body.write_text("# Private\n\nHello.\n", encoding="utf-8")
    composer_home.chmod(0o755)  # a folder the person named: its mode is theirs (finding 4)
    common = ["--from", "ann@example.com", "--to", "bob@example.com", "--subject", "Hi",
              "--markdown", str(body)]  # fmt: skip

    # --eml into a folder that does not exist yet (one file) and a seed list (a folder).
    out = tmp_path / "out" / "nested"
    r = run_composer("send", *common, "--dry-run", "--eml", str(out / "one.eml"))
    assert r.code == 0, r.err
    # A real send through the default local profile: SMTP over loopback to the built-in
    # relay, which delivers into the sandbox Maildir; the outbox and history record it.
    r = run_composer("send", *common, "--cc", "cy@example.com")
    assert r.code == 0, r.err
    assert run_composer("history").code == 0
    r = run_composer("profile", "add", "other", "--provider", "local")
    assert r.code == 0, r.err

    # `composer relay` delivering into a Maildir of its own.
    maildir = tmp_path / "relay-md"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "composer", "relay", "--port", str(port), "--maildir",
         str(maildir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client = smtplib.SMTP("127.0.0.1", port, timeout=30)
                break
            except OSError:
                assert time.monotonic() < deadline, "composer relay did not listen in 60 s"
                try:
                    proc.wait(timeout=0.05)  # paces the loop and notices an early exit
                except subprocess.TimeoutExpired:
                    continue
                pytest.fail(f"composer relay exited: {proc.communicate()[1]!r}")
        with client:
            client.sendmail("ann@example.com", ["bob@example.com"], MESSAGE)
    finally:
        proc.terminate()
        proc.communicate(timeout=60)

    written = [p for p in composer_home.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"history.sqlite3", "outbox.sqlite3", "profiles.json"} <= names, names
    assert any(p.parent.name == "new" for p in written), "nothing landed in the sandbox"
    assert stat.S_IMODE(composer_home.stat().st_mode) == 0o755
    composer_home.chmod(0o700)  # everything in it must be private
    assert loose(composer_home, tmp_path / "out", maildir) == []


def test_the_stores_set_their_own_modes_whatever_the_umask(
    context, umask_022: None, composer_home: Path, tmp_path: Path
) -> None:
    """No CLI here: each place that creates a file or folder sets the mode itself."""
    with context.history() as history:  # WAL mode: -wal and -shm appear beside the database
        assert history.recent() == []
        message = OutgoingMessage(Envelope("a@example.com", ("b@example.com",)), MESSAGE, "<m@x>")
        outbox = context.outbox()
        outbox.enqueue([message], "local", "S")
        with outbox.sending():  # the lock file
            pass
        sides = {p.name for p in composer_home.iterdir()}
        assert {"history.sqlite3-wal", "outbox.sqlite3-wal", "outbox.sqlite3-shm"} <= sides
        store = context.drafts()
        store.autosave("d1", sample_draft(), None)
        store.autosave("d1", sample_draft(), None)  # the previous generation too
        store.add_recent(tmp_path / "mine" / "draft.json")
        store.save_as(tmp_path / "mine" / "draft.json", sample_draft())
        sandbox = composer_home / "sandbox"
        deliver(sandbox, [Copy(rcpt="b@example.com", rcpt_type="to", data=MESSAGE)])
        Sink(sandbox)._save_count(1)
        atomic_write_bytes(tmp_path / "eml" / "a" / "x.eml", MESSAGE)
        assert loose(composer_home, tmp_path / "mine", tmp_path / "eml") == []
        outbox.close()


def test_an_open_home_from_an_older_version_is_made_private_with_a_note(
    context, umask_022: None, run_composer, composer_home: Path
) -> None:
    # What the old code left: everything world-readable.
    with context.history():
        pass
    (composer_home / "sandbox" / "new").mkdir(parents=True)
    (composer_home / "sandbox" / "new" / "1.M2P3Q4.host").write_bytes(MESSAGE)  # Maildir's name
    (composer_home / "drafts").mkdir()
    (composer_home / "drafts" / "d.json").write_text('{"format": "composer-autosave"}')
    for p in [composer_home, *composer_home.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    (composer_home / "unrelated.txt").write_text("not ours")  # a file Composer did not make

    r = run_composer("history")
    assert r.code == 0, r.err
    assert str(composer_home) in r.err and "0700" in r.err  # the note, one line
    assert len([line for line in r.err.splitlines() if "private" in line]) == 1, r.err
    # The home itself is the person's (they named it): left 0755, and they are told.
    assert f"{composer_home}: open to other users, left as is" in r.err, r.err
    assert stat.S_IMODE(composer_home.stat().st_mode) == 0o755
    assert stat.S_IMODE((composer_home / "unrelated.txt").stat().st_mode) == 0o644
    (composer_home / "unrelated.txt").unlink()
    composer_home.chmod(0o700)
    assert loose(composer_home) == []
    assert "private" not in run_composer("history").err  # said once: nothing left to tighten


def test_secure_home_leaves_files_it_does_not_own_alone(
    context, umask_022: None, composer_home: Path
) -> None:
    """A file that is not Composer's, in the folder it was pointed at, keeps its mode."""
    composer_home.chmod(0o755)
    (composer_home / "notes.txt").write_text("mine")
    changed = secure_home(context.paths)
    assert composer_home not in changed  # the folder the person named keeps its mode
    assert stat.S_IMODE(composer_home.stat().st_mode) == 0o755
    assert stat.S_IMODE((composer_home / "notes.txt").stat().st_mode) == 0o644
    assert secure_home(context.paths) == []


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode) | (path.lstat().st_mode & stat.S_ISVTX)


def test_a_shared_home_keeps_its_sticky_bit_and_others_files_their_modes(
    context, umask_022: None, run_composer, tmp_path: Path
) -> None:
    """Finding 4: COMPOSER_HOME names an existing 1777 folder holding other people's tools and
    notes; `composer history` tightens only what Composer wrote."""
    home = tmp_path / "shared"
    home.mkdir()
    home.chmod(0o1777)
    foreign = {
        home / "config" / "bin" / "tool.sh": 0o755,
        home / "config" / "run.sh": 0o755,
        home / "drafts" / "tool.sh": 0o755,
        home / "drafts" / "team" / "readme.txt": 0o664,
        home / "drafts" / "notes.json": 0o644,  # a .json Composer did not write
        home / "logs" / "other.log": 0o644,
        home / "sandbox" / "README": 0o644,
    }
    for path, bits in foreign.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\necho hi\n" if path.suffix == ".sh" else "{}")
        path.chmod(bits)
    autosave = home / "drafts" / "0123456789abcdef0123456789abcdef.json"
    ours = [home / "history.sqlite3", home / "outbox.sqlite3.lock",
            home / "config" / "profiles.json", autosave, home / "drafts" / "recent.json",
            home / "logs" / "composer.log", home / "sandbox" / ".sandbox-count.json",
            home / "sandbox" / "new" / "1.M2P3Q4.host"]  # fmt: skip
    for path in ours:
        path.parent.mkdir(parents=True, exist_ok=True)
    for path in ours[1:]:
        path.write_text('{"format": "composer-recent"}' if path.parent.name == "drafts" else "x")
        path.chmod(0o644)
    autosave.write_text('{"format": "composer-autosave", "version": 1}')
    with context.at(home).history():  # a real database, as an older version left it
        pass
    (home / "history.sqlite3").chmod(0o644)
    (home / "sandbox" / "new").chmod(0o755)

    r = run_composer("history", env={"COMPOSER_HOME": str(home)})
    assert r.code == 0, r.err
    assert mode(home) == 0o1777, oct(mode(home))
    assert {p: mode(p) for p in foreign} == foreign
    assert {p: mode(p) for p in ours} == dict.fromkeys(ours, 0o600)
    assert mode(home / "sandbox" / "new") == 0o700  # the Maildir Composer made
    for shared in (home, home / "config", home / "drafts"):  # told, not changed
        assert str(shared) in r.err
    assert "Traceback" not in r.err


def test_a_fresh_home_is_made_private(umask_022: None, run_composer, tmp_path: Path) -> None:
    home = tmp_path / "new-parent" / "home"
    r = run_composer("history", env={"COMPOSER_HOME": str(home)})
    assert r.code == 0, r.err
    assert mode(home) == 0o700 and mode(home.parent) == 0o700
    assert loose(home) == []
