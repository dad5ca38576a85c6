"""Inline (cid) images: their names, their checks, and the multipart/related part they travel in.

The HTML part of a message with inline images becomes (RFC 2387)::

    multipart/alternative
      text/plain
      text/x-amp-html                  (when there is an AMP part)
      multipart/related; type="text/html"
        text/html                      <img src="cid:logo">
        image/png                      Content-ID: <logo>; Content-Disposition: inline

Content-ID names are kept to letters, digits and ``. _ - @`` (at most 100): a name is written
into a header and into HTML, and one with CR, LF, quotes, spaces or ``<>`` could break out of
either. Clients differ on percent-encoding in ``cid:`` URLs (RFC 2392), so none is needed.

The image bytes must be one of images.py's four formats (the bytes decide, not the name), and
the file follows the attachments' rules (attachfiles.py): no system files, FIFOs or devices.
"""

from __future__ import annotations

import os
import re
import stat
from email.message import MIMEPart
from pathlib import Path

from composer.core.attachfiles import (
    AttachmentFileError,
    AttachmentTooLarge,
    check_attachment_file,
    encoded_size,
    read_attachment,
)
from composer.core.draft import BodyFormat, Draft, InlineImage
from composer.core.images import HEAD_BYTES, ImageInfo, image_info, image_type
from composer.core.problems import Problem, Severity

__all__ = [
    "INLINE_WARN_BYTES",
    "InlineImageError",
    "add_related",
    "check_inline_images",
    "cid_for",
    "cid_problem",
    "cid_references",
    "read_image_info",
    "read_inline_image",
]

# Over this much image data (all inline images together, as files) a warning: big inline
# images make a message slow to open on a phone, and some filters score heavy mail lower.
INLINE_WARN_BYTES = 1_000_000
MAX_CID_CHARS = 100

_CID_OK = re.compile(r"[A-Za-z0-9._@-]+")
_CID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# A cid: URL where a URL stands: an attribute (src="cid:x", background = 'cid:x'), a CSS or
# Markdown url (url( 'cid:x' ), ![a](cid:x), ![a](<cid:x>)) or a Markdown reference ([r]: cid:x).
# Not "cid:x" in prose: a missing image is an error, and text that explains cid: URLs is none.
CID_REF = re.compile(r"""(?i)(?:=\s*["']?|\(\s*["'<]?|\]:\s*<?)cid:([^\s"'<>()\\]+)""")


class InlineImageError(ValueError):
    """One sentence saying why an inline image cannot be used."""


def cid_problem(cid: str) -> str | None:
    """Why ``cid`` cannot be a Content-ID name, or None when it can."""
    if not cid:
        return "the content id (cid) is empty"
    if len(cid) > MAX_CID_CHARS:
        return f"the content id is {len(cid)} characters; at most {MAX_CID_CHARS}"
    if not _CID_OK.fullmatch(cid) or cid.count("@") > 1:
        return (
            f"the content id {cid!r} may hold only letters, digits and . _ - @ "
            "(no spaces, quotes or line breaks)"
        )
    left, at, right = cid.partition("@")
    if not left.strip(".") or (at and not right.strip(".")):
        # <..> or <a@> is no message id, and the image is saved under its cid: "..", "."
        return (
            f"the content id {cid!r} needs letters or digits, not only dots "
            "(on each side of an @)"
        )
    return None


def cid_for(path: str, taken: set[str]) -> str:
    """A content id made from the file's name (``Company Logo.png`` -> ``Company-Logo.png``),
    unique among ``taken`` (``logo-2.png``)."""
    name = _CID_UNSAFE.sub("-", Path(path).name).strip("-.")[:60] or "image"
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, n = name, 1
    while candidate.lower() in {t.lower() for t in taken}:
        n += 1
        candidate = f"{stem}-{n}.{ext}" if dot else f"{stem}-{n}"
    return candidate


def cid_references(html: str) -> list[str]:
    """The cid names ``html`` (or Markdown, whose ``![a](cid:x)`` becomes such a tag) refers
    to, in order, each once."""
    seen: dict[str, None] = {}
    for m in CID_REF.finditer(html):
        seen.setdefault(m.group(1), None)
    return list(seen)


def read_image_info(path: str) -> ImageInfo:
    """Type and size of an image file, read from its first bytes (the window's tag)."""
    info = image_info(_read_head(path, HEAD_BYTES))
    if info is None:
        raise InlineImageError(_not_an_image(path))
    return info


def _read_head(path: str, n: int) -> bytes:
    """The first ``n`` bytes, opened as read_attachment opens a file: no symlink followed at
    the last step and non-blocking (a FIFO swapped in after the check cannot hang us), and
    the opened file checked to be a regular one again."""
    real, _ = _checked(path)
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise InlineImageError(f"cannot open {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InlineImageError(f"{path} was replaced while it was being read")
        return os.read(fd, n)
    except OSError as exc:
        raise InlineImageError(f"cannot read {path}: {exc.strerror}") from None
    finally:
        os.close(fd)


def _checked(path: str) -> tuple[str, os.stat_result]:
    try:
        return check_attachment_file(path)
    except AttachmentFileError as exc:
        raise InlineImageError(str(exc)) from None


def _not_an_image(path: str) -> str:
    return f"{path} is not a PNG, JPEG, GIF or WebP image (its bytes say so, whatever its name)"


def read_inline_image(image: InlineImage, *, limit: int | None = None) -> tuple[str, bytes]:
    """(MIME type, bytes) of an inline image, read with the attachments' checks; raises
    InlineImageError (or AttachmentTooLarge when over ``limit``)."""
    try:
        data = read_attachment(image.path, limit=limit)
    except AttachmentTooLarge:
        raise
    except AttachmentFileError as exc:
        raise InlineImageError(str(exc)) from None
    mime = image_type(data[:16])
    if mime is None:
        raise InlineImageError(_not_an_image(image.path))
    return mime, data


def _sniff_file(path: str) -> str | None:
    """The image type of a file from its first 16 bytes (validation reads no more)."""
    return image_type(_read_head(path, 16))


def check_inline_images(problems: list[Problem], draft: Draft, *, check_files: bool) -> int:
    """Append the inline images' problems; return their encoded size (for the size check)."""
    images = draft.inline_images
    refs = cid_references(draft.body) if draft.body_format != BodyFormat.TEXT else []
    names = {img.cid for img in images}
    used = set(refs)  # a set: a draft file may list tens of thousands of images
    for name in refs:
        if name not in names:
            problems.append(
                Problem(
                    "body",
                    f"refers to cid:{name}, but no inline image has that content id "
                    "(recipients would see a broken image)",
                )
            )
    if not images:
        return 0
    if draft.body_format == BodyFormat.TEXT:
        problems.append(
            Problem("inline_images", "need an HTML or Markdown body; a plain-text body has none")
        )
    encoded = files = 0
    seen: set[str] = set()
    for i, img in enumerate(images):
        where = f"inline_images[{i}]"
        why = cid_problem(img.cid)
        if why:
            problems.append(Problem(where, why))
        elif img.cid.lower() in seen:
            problems.append(Problem(where, f"the content id {img.cid!r} is used twice"))
        seen.add(img.cid.lower())
        if why is None and img.cid not in used:
            problems.append(
                Problem(
                    where,
                    f'is not used in the body (no <img src="cid:{img.cid}">); most clients '
                    "would show it as an attachment",
                    Severity.WARNING,
                )
            )
        if not check_files:
            continue
        try:
            size = _checked(img.path)[1].st_size
            if _sniff_file(img.path) is None:
                problems.append(Problem(where, _not_an_image(img.path)))
        except InlineImageError as exc:
            problems.append(Problem(where, str(exc)))
            continue
        files += size
        encoded += 4 * -(-size // 3)
    if files > INLINE_WARN_BYTES:
        problems.append(
            Problem(
                "inline_images",
                f"the inline images are {files / 1e6:.1f} MB together; over "
                f"{INLINE_WARN_BYTES / 1e6:.0f} MB a message is slow to open on a phone",
                Severity.WARNING,
            )
        )
    return encoded


def _filename(cid: str, subtype: str) -> str:
    """The name a client saves the image under: the checked cid (the file's own name could say
    more than the sender meant), with an extension when it has none."""
    ext = {"jpeg": "jpg"}.get(subtype, subtype)
    return cid if "." in cid.split("@")[0] else f"{cid}.{ext}"


def add_related(html_part: MIMEPart, images: list[InlineImage], budget: int) -> int:
    """Turn ``html_part`` (text/html) into multipart/related with the images after it; returns
    what is left of ``budget`` (encoded bytes). Raises InlineImageError, or AttachmentTooLarge
    when an image would not fit the budget (it is then not read)."""
    for img in images:
        mime, data = read_inline_image(img, limit=max(budget, 0) * 3 // 4)
        budget -= encoded_size(len(data))
        if budget < 0:
            raise AttachmentTooLarge(f"{img.path} does not fit the message size limit")
        maintype, _, subtype = mime.partition("/")
        html_part.add_related(
            data,
            maintype=maintype,
            subtype=subtype,
            cid=f"<{img.cid}>",
            disposition="inline",
            filename=_filename(img.cid, subtype),
        )
    if images:
        # RFC 2387: "type" names the root part's type; some clients need it to find the HTML.
        html_part.set_param("type", "text/html")
    return budget
