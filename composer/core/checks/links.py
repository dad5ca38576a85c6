"""Family 4: links, offline. (The online check, HEAD then GET with deadlines, is relaycheck's
and uses ``checkable_urls`` from here.)

Per link (``<a href>``, ``<area href>``): ``javascript:`` (clients strip it and filters score
it), an empty or ``#`` target, plain ``http:``, ``file:`` and addresses only this computer or
this network can reach, malformed ``mailto:``, a URL that does not parse (a doubled scheme, a
bad port), a ``utm_campaign`` other than the draft's campaign ID, and the same page linked with
different UTM tags. Each distinct URL is reported once, with how often it occurs.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from email_validator import EmailNotValidError, validate_email
from lxml.etree import _Element

from composer.core.checks.doc import Doc, html_doc
from composer.core.checks.model import CheckInput, Finding, Severity, Where

__all__ = ["LinkRef", "check", "checkable_urls", "link_refs"]

# Template syntax that the relay or an ESP fills in later: such a URL cannot be judged yet.
_TEMPLATED = re.compile(r"\{\{|\}\}|\[\[|\]\]|\*\||\|\*|%%|\{%")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
_HOST_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$")
_SECOND_SCHEME = re.compile(r"https?:", re.I)
_TAB_NEWLINE = re.compile(r"[\t\n\r]+")
_C0_SPACE = "".join(chr(c) for c in range(0x21))


@dataclass
class LinkRef:
    """One distinct link target: where it first occurs (worked out when asked) and how often."""

    url: str
    first: _Element = field(repr=False)
    doc: Doc = field(repr=False, compare=False)
    kind: str = "link"  # "link" (<a>, <area>) or "image" (<img src>)
    count: int = 1

    @property
    def where(self) -> Where:
        return self.doc.where(self.first)


def link_refs(doc: Doc, *, images: bool = False) -> list[LinkRef]:
    """Distinct link targets in document order (and image sources with ``images``)."""
    refs: dict[tuple[str, str], LinkRef] = {}
    for el in doc.user_elements():
        if el.tag in ("a", "area"):
            url, kind = el.get("href"), "link"
        elif images and el.tag == "img":
            url, kind = el.get("src"), "image"
        else:
            continue
        if url is None:
            continue
        ref = refs.get((kind, url))
        if ref is None:
            refs[(kind, url)] = LinkRef(url, el, doc, kind)
        else:
            ref.count += 1
    return list(refs.values())


def _is_local_host(host: str) -> bool:
    # As a browser reads the host: fullwidth digits and dots, and the ideographic full stop,
    # are ASCII (UTS 46), so "１２７。0。0。1" is 127.0.0.1.
    h = unicodedata.normalize("NFKC", host).replace("\u3002", ".").lower().rstrip(".")
    if h == "localhost" or h.endswith(_LOCAL_SUFFIXES):
        return True
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(
            h.strip("[]")
        )
    except ValueError:
        ip = _whatwg_ipv4(h)
    if ip is None:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_unspecified


_NUMBER = {8: frozenset("01234567"), 10: frozenset("0123456789"), 16: frozenset("0123456789abcdef")}


def _whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a browser makes of a host whose last label is a number (the WHATWG URL
    standard's IPv4 parser): 127.1, 2130706433, 0x7f000001 and 0177.0.0.1 are all 127.0.0.1,
    and 0 is 0.0.0.0. None for a host name."""
    numbers: list[int] = []
    for part in host.split("."):
        base, digits = 10, part
        if part[:2] == "0x":
            base, digits = 16, part[2:]
        elif len(part) > 1 and part[0] == "0":
            base, digits = 8, part[1:]
        if not part or not set(digits) <= _NUMBER[base] or len(digits) > 12:
            return None
        numbers.append(int(digits, base) if digits else 0)
    if len(numbers) > 4 or any(n > 255 for n in numbers[:-1]):
        return None
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        return None
    value = numbers[-1] + sum(n << (8 * (3 - i)) for i, n in enumerate(numbers[:-1]))
    return ipaddress.IPv4Address(value)


def checkable_urls(inp: CheckInput, *, images: bool = True) -> list[LinkRef]:
    """The http(s) URLs an online check may request: well formed, no template syntax, and not
    on this computer or a private network (a check must never probe those)."""
    doc = html_doc(inp)
    if doc is None:
        return []
    out = []
    for ref in link_refs(doc, images=images):
        url = ref.url.strip()
        if _TEMPLATED.search(url) or _problem(url) is not None:
            continue
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme.lower() in ("http", "https") and host and not _is_local_host(host):
            out.append(ref)
    return out


@functools.lru_cache(maxsize=4096)
def _problem(url: str) -> str | None:
    """Why an http(s) URL is malformed, or None."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as exc:
        return f"it does not parse ({exc})"
    host = parts.hostname or ""
    if not host:
        return "it has no host"
    if host.startswith("["):
        return None
    labels = host.rstrip(".").split(".")
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:  # a label over 63 once encoded, or empty (a zero-width space)
        return f'its host "{host[:60]}" is not a host name'
    if not all(_HOST_LABEL.match(lbl) for lbl in ascii_host.rstrip(".").split(".")) or not labels:
        return f'its host "{host}" is not a host name'
    if _SECOND_SCHEME.search(parts.netloc + parts.path):
        return "it contains a second scheme (two URLs run together?)"
    return None


def _mailto_problem(url: str) -> str | None:
    target = url.split(":", 1)[1].split("?", 1)[0]
    addrs = [unquote(a).strip() for a in target.split(",") if a.strip()]
    if not addrs:
        query = dict(parse_qsl(url.split("?", 1)[1])) if "?" in url else {}
        return None if query.get("to") else "it names no address"
    for addr in addrs:
        try:
            validate_email(addr, check_deliverability=False)
        except EmailNotValidError as exc:
            return f'"{addr}" is not an email address ({exc})'
    return None


def _utm(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its utm_* parameters, and those parameters."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    utm = {k.lower(): v for k, v in pairs if k.lower().startswith("utm_")}
    rest = "&".join(f"{k}={v}" for k, v in pairs if not k.lower().startswith("utm_"))
    base = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, rest, ""))
    return base, utm


def _times(ref: LinkRef) -> str:
    return f" (used {ref.count} times; the first is here)" if ref.count > 1 else ""


def _one(ref: LinkRef, campaign: str) -> Iterator[Finding]:
    raw = ref.url
    # What a browser makes of it (WHATWG URL): C0 controls and spaces trimmed at both ends,
    # tabs and newlines dropped anywhere, so "java\tscript:" is javascript:.
    url = _TAB_NEWLINE.sub("", raw.strip(_C0_SPACE))
    low = url.lower()
    scheme = low.split(":", 1)[0] if ":" in low.split("/", 1)[0] else ""

    def f(fid: str, sev: Severity, msg: str) -> Finding:
        return Finding(f"links.{fid}", sev, "links", msg + _times(ref), ref.where)

    if not raw.strip():
        yield f("empty", Severity.WARNING, "This link has an empty href: it goes nowhere.")
    elif raw.strip() == "#":
        yield f("empty", Severity.WARNING, 'This link points to "#": it goes nowhere.')
    elif scheme == "javascript":
        yield f(
            "javascript",
            Severity.ERROR,
            "A javascript: link never runs in an email client; "
            "clients strip it and spam filters count it against the message.",
        )
    elif scheme == "file":
        yield f(
            "local",
            Severity.ERROR,
            f"{raw[:80]} is a file on your computer: recipients cannot open it.",
        )
    elif scheme == "mailto":
        problem = _mailto_problem(url)
        if problem:
            yield f("mailto", Severity.WARNING, f"This mailto: link is malformed: {problem}.")
    elif scheme in ("http", "https") and not _TEMPLATED.search(url):
        problem = _problem(url)
        host = urlsplit(url).hostname if problem is None else None
        if problem:
            yield f("malformed", Severity.WARNING, f"{raw[:80]} is not a valid URL: {problem}.")
        elif host and _is_local_host(host):
            yield f(
                "local",
                Severity.ERROR,
                f"{raw[:80]} points to {host}, which only this "
                "computer or its own network can reach.",
            )
        elif scheme == "http":
            yield f(
                "http",
                Severity.WARNING,
                f"{raw[:80]} uses http:, not https: browsers "
                "warn, and some clients and filters distrust it.",
            )
        if problem is None:
            utm = _utm(url)[1]
            value = utm.get("utm_campaign")
            if campaign and value is not None and value != campaign:
                yield f(
                    "utm-campaign",
                    Severity.WARNING,
                    f'utm_campaign="{value}" differs from the campaign ID "{campaign}".',
                )


def check(inp: CheckInput) -> Iterator[Finding]:
    doc = html_doc(inp)
    if doc is None:
        return
    refs = link_refs(doc)
    for ref in refs:
        yield from _one(ref, inp.draft.campaign_id.strip())
    by_page: dict[str, list[tuple[LinkRef, dict[str, str]]]] = {}
    for ref in refs:
        url = ref.url.strip()
        if url.lower().startswith(("http://", "https://")) and _problem(url) is None:
            base, utm = _utm(url)
            by_page.setdefault(base, []).append((ref, utm))
    for base, links in by_page.items():
        tagged = {tuple(sorted(u.items())) for _r, u in links if u}
        if len(tagged) > 1:
            variants = "; ".join("&".join(f"{k}={v}" for k, v in t) for t in sorted(tagged))[:300]
            yield Finding(
                "links.utm-mismatch",
                Severity.WARNING,
                "links",
                f"{base[:80]} is linked with different UTM tags ({variants}): the visits are "
                "split across campaigns in your analytics.",
                links[0][0].where,
            )
