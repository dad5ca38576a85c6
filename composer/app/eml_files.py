""".eml files in and out, for the CLI and the window alike.

Out: ``message_for_export`` builds the one message a draft makes with the very functions a send
uses (validate, then ``build_messages``), and ``write_eml`` writes its exact DATA bytes (CRLF,
private, atomic): ``composer send --eml`` and the window's File → Export .eml share both.

In: ``read_eml`` reads a file with the bounded reader and parses it (core/eml_import.py, which
refuses hostile files); ``save_imported_files`` puts the attachments it carried in a private
folder of their own under the app's data folder, so the draft can attach them like any file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from composer.core import jsonin
from composer.core.build import OutgoingMessage, build_messages
from composer.core.draft import Attachment, Draft, InlineImage
from composer.core.eml_import import MAX_EML_BYTES, EmlImport, ImportedFile, parse_eml
from composer.core.errors import EmlImportError, InvalidDraft
from composer.core.validate import validate
from composer.store.atomic import atomic_write_bytes
from composer.store.paths import make_private_dirs

__all__ = ["message_for_export", "read_eml", "save_imported_files", "write_eml"]


def message_for_export(draft: Draft) -> OutgoingMessage:
    """The message this draft sends (one To list: no seeds); InvalidDraft when it has errors."""
    problems = validate(draft)
    if any(p.is_error for p in problems):
        raise InvalidDraft(problems)
    return build_messages(draft, problems=problems)[0]


def write_eml(target: str | Path, message: OutgoingMessage) -> None:
    """The exact bytes DATA carries; OSError when the file cannot be written."""
    atomic_write_bytes(target, message.data)


def read_eml(path: str | Path) -> EmlImport:
    """An .eml file as a draft; EmlImportError (naming the file's problem) otherwise."""
    try:
        data = jsonin.read_regular_file(path, MAX_EML_BYTES)
    except jsonin.InputError as exc:
        raise EmlImportError("", f"{path}: {exc}") from None
    return parse_eml(data)


def save_imported_files(
    data_folder: Path, files: list[ImportedFile], source: str, now: datetime | None = None
) -> tuple[list[Attachment], list[InlineImage]]:
    """Write the files of an imported .eml into ``data_folder/imported/<name>-<time>/``
    (folder 0700, files 0600) and return them as the draft's attachments and inline images
    (the images its HTML shows by cid)."""
    if not files:
        return [], []
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(source).stem)[:40]
    folder = data_folder / "imported" / f"{stem or 'message'}-{stamp}"
    n = 1
    while folder.exists():  # two imports in one second
        n += 1
        folder = folder.with_name(f"{stem or 'message'}-{stamp}-{n}")
    make_private_dirs(folder)
    out: list[Attachment] = []
    images: list[InlineImage] = []
    for f in files:
        target = folder / f.filename  # safe_filename: one plain name, never a path
        atomic_write_bytes(target, f.data)
        if f.cid:
            images.append(InlineImage(str(target), f.cid))
        else:
            out.append(Attachment(str(target), content_type=f.content_type))
    return out, images
