"""A built message as a Transmissions API request body (``POST {api}/transmissions``).

The content is ``content.email_rfc822``: the bytes ``build_message`` made, the ones the preview
shows, so that SMTP and REST send the same MIME tree with no second renderer to drift from the
first. Two header changes are needed, both because REST reads settings from JSON, not headers:

* ``X-MSYS-API`` is removed. Over REST it would be an ordinary header that recipients see; its
  fields travel as the transmission's own ``campaign_id``, ``metadata`` and ``options`` (the
  same names and values), and its ``tags`` as each recipient's ``tags`` (REST has no
  transmission-level tags).
* A ``Cc`` header is added after ``To`` when there are cc recipients. Over SMTP the relay
  writes it from the ``cc`` list; over REST nobody does: "Content headers are not generated for
  transmissions providing RFC822 content" and "the To header is not built for email_rfc822
  content" (developers.sparkpost.com, Transmissions "Send RFC822 Content" and Recipient Lists
  "Address Object"). The CC effect is a Cc header plus a recipient per cc address (SparkPost
  support, "Using CC and BCC with the REST API").

Recipients: each To address as itself; each cc and bcc address with ``header_to`` set to the
To addresses, as that article prescribes (bcc = a recipient that is in no header). ``header_to``
does not change an rfc822 message's To header, but it marks the recipient as a copy, which
the local sandbox reads to rebuild the fan-out. Each address once, first role wins (to, cc,
bcc), as the SMTP relay does.

Archive recipients are refused: "Archiving is only supported with the SMTP API. You cannot do
archiving with the REST API" (same article). Sending them as bcc instead would re-encode their
links per recipient and count their opens, which is not what an archive copy is.
"""

from __future__ import annotations

from typing import Any

from composer.core import msys
from composer.core.addresses import ValidAddress, address_key
from composer.core.build import OutgoingMessage
from composer.core.errors import PayloadError
from composer.core.headers import format_mailbox, header_line

__all__ = ["PayloadError", "rest_rfc822", "transmission"]



def _entries(api: dict[str, Any], name: str) -> list[ValidAddress]:
    """cc / bcc entries of the X-MSYS-API object, already validated by build_message."""
    out = []
    for entry in api.get(name) or []:
        if isinstance(entry, str):
            out.append(ValidAddress(entry, ""))
        else:
            out.append(ValidAddress(entry["email"], entry.get("name") or ""))
    return out


def _fields(head: bytes) -> list[list[bytes]]:
    """Header fields, each as its first line and continuation lines."""
    fields: list[list[bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1].append(line)
        else:
            fields.append([line])
    return fields


def rest_rfc822(message: OutgoingMessage) -> bytes:
    """``message.data`` without X-MSYS-API and with the Cc header the relay would write."""
    head, _, body = message.data.partition(b"\r\n\r\n")
    drop = msys.HEADER_NAME.lower().encode("ascii") + b":"
    fields = [f for f in _fields(head) if not f[0].lower().startswith(drop)]
    ccs = _entries(message.msys or {}, "cc")
    if ccs:
        cc = header_line("Cc", [format_mailbox(a) for a in ccs], sep=", ").encode("ascii")
        at = next((i + 1 for i, f in enumerate(fields) if f[0].lower().startswith(b"to:")), 0)
        fields.insert(at, cc.split(b"\r\n"))
    return b"\r\n".join(line for f in fields for line in f) + b"\r\n\r\n" + body


def _address(addr: ValidAddress, header_to: str | None) -> dict[str, str]:
    out = {"email": addr.addr_spec}
    if addr.name:
        out["name"] = addr.name
    if header_to is not None:
        out["header_to"] = header_to
    return out


def transmission(
    message: OutgoingMessage,
    *,
    rcpt_to: tuple[str, ...] | None = None,
    substitution_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The request body for one message. ``rcpt_to`` narrows the To recipients (a retry of
    some of them); the cc and bcc copies go only with the whole To list, as over SMTP, where
    the relay fans them out once per message."""
    api = message.msys or {}
    if api.get("archive"):
        raise PayloadError(
            "archive",
            "the REST API has no archive recipients (SparkPost: archiving is only supported "
            "with the SMTP API); send with --api smtp, or move the addresses to bcc",
        )
    if substitution_data is not None and not isinstance(substitution_data, dict):
        raise PayloadError("substitution_data", "must be a JSON object")
    everyone = message.envelope.rcpt_to
    to = everyone if rcpt_to is None else rcpt_to
    header_to = ",".join(everyone)
    seen: set[str] = set()
    recipients: list[dict[str, Any]] = []
    roles: list[tuple[ValidAddress, str | None]] = [(ValidAddress(a, ""), None) for a in to]
    if set(to) == set(everyone):
        roles += [(a, header_to) for name in ("cc", "bcc") for a in _entries(api, name)]
    tags = list(api.get("tags") or [])
    for addr, hto in roles:
        if address_key(addr.addr_spec) in seen:
            continue
        seen.add(address_key(addr.addr_spec))
        item: dict[str, Any] = {"address": _address(addr, hto)}
        if tags:
            item["tags"] = tags
        recipients.append(item)
    # The 20 MB content limit is left to the API: its docs do not say whether it counts the
    # encoded or the decoded size, and a guess here could refuse mail the API would take.
    body: dict[str, Any] = {
        "recipients": recipients,
        "content": {"email_rfc822": rest_rfc822(message).decode("ascii")},
    }
    for key in ("campaign_id", "metadata", "options"):
        if key in api:
            body[key] = api[key]
    if substitution_data is not None:
        body["substitution_data"] = substitution_data
    return body
