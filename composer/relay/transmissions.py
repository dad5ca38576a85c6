"""A Transmissions API request body -> the fan-out request the SMTP relay would have made.

Pure functions (bytes in, ``fanout.Request`` out), so the HTTP endpoint (http.py) only speaks
HTTP. The roles come back the way SparkPost documents the CC and BCC effects over REST
("Using CC and BCC with the REST API"): a recipient without ``header_to`` is a To recipient; one
with ``header_to`` is a copy, a cc when its address is in the content's ``Cc`` header and a bcc
otherwise. REST has no archive recipients, so none are made. From there the copies, their
headers and the Maildir are exactly the SMTP relay's: ``Cc`` rewritten from the cc list, a
``Bcc`` header on each bcc copy, trace headers, ``X-Relay-Transmission-Id``.

Only ``content.email_rfc822`` is taken (what Composer sends): inline content, templates, A/B
tests and stored recipient lists are refused with a 422 that says so. ``substitution_data`` is
checked but not applied: the sandbox has no template language, so ``{{...}}`` arrives as sent.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from typing import Any

from composer.core.addresses import AddressError, ValidAddress, address_key, check_address
from composer.core.draft import Recipient
from composer.core.validate import MAX_CAMPAIGN_BYTES
from composer.relay.fanout import MsysRejection, Request, parse_request
from composer.relay.limits import MAX_MESSAGE

__all__ = ["ApiRejection", "Transmission", "error_body", "parse_transmission"]


class ApiRejection(Exception):
    """An answer in the API's error shape: ``{"errors": [{message, description, code}]}``."""

    def __init__(self, status: int, message: str, description: str = "", code: str = "") -> None:
        super().__init__(f"{status} {message}: {description}")
        self.status = status
        self.body = error_body(message, description, code)


def error_body(message: str, description: str = "", code: str = "") -> bytes:
    error = {"message": message}
    if description:
        error["description"] = description
    if code:
        error["code"] = code
    return json.dumps({"errors": [error]}).encode("utf-8")


def _missing(what: str) -> ApiRejection:
    return ApiRejection(422, "required field is missing", what, "1400")


def _invalid(what: str) -> ApiRejection:
    return ApiRejection(422, "invalid data format/type", what, "1300")


@dataclass(frozen=True)
class Transmission:
    request: Request  # what build_copies takes, its lists rebuilt from the recipients
    mail_from: str
    rcpt_tos: list[str]


def _address(i: int, item: Any) -> tuple[ValidAddress, bool]:
    """(the address, whether it carries header_to) of ``recipients[i]``."""
    where = f"recipients[{i}].address"
    address = item.get("address") if isinstance(item, dict) else None
    if isinstance(address, str):
        address = {"email": address}
    if not isinstance(address, dict) or not isinstance(address.get("email"), str):
        raise _missing(f"{where}.email is required for each recipient")
    name, header_to = address.get("name") or "", address.get("header_to")
    if not isinstance(name, str) or not isinstance(header_to, (str, type(None))):
        raise _invalid(f"{where}.name and {where}.header_to must be strings")
    try:
        addr = check_address(Recipient(address["email"], name))
    except AddressError as exc:
        raise _invalid(f"{where}.email: {exc}") from None
    # header_to naming the recipient itself changes nothing: it is still a To recipient
    copy = bool(header_to) and address_key(header_to) != address_key(addr.addr_spec)
    return addr, copy


def _head(data: bytes) -> Any:
    return BytesHeaderParser(policy=policy.default).parsebytes(data)


def _cc_keys(head: Any) -> dict[str, str]:
    """Addresses in the content's Cc header(s) -> their display names."""
    out: dict[str, str] = {}
    try:
        for value in head.get_all("cc") or []:
            for a in value.addresses:
                out[address_key(a.addr_spec)] = a.display_name
    except (ValueError, TypeError, AttributeError, IndexError):
        pass  # an unreadable Cc header makes every copy a bcc, which shows no one anything
    return out


def _check_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The transmission-level settings, checked as the API checks them."""
    api: dict[str, Any] = {}
    for key, kind, words in (
        ("metadata", dict, "a JSON object"),
        ("substitution_data", dict, "a JSON object"),
        ("options", dict, "a JSON object"),
        ("campaign_id", str, "a string"),
        ("return_path", str, "a string"),
    ):
        if key in doc and not isinstance(doc[key], kind):
            raise _invalid(f"{key} must be {words}")
        if key in doc and key in ("metadata", "options", "campaign_id"):
            api[key] = doc[key]
    if len(str(doc.get("campaign_id", "")).encode("utf-8", "surrogatepass")) > MAX_CAMPAIGN_BYTES:
        raise _invalid(f"campaign_id is limited to {MAX_CAMPAIGN_BYTES} bytes")
    return api


def parse_transmission(body: bytes) -> Transmission:
    """The request body -> what to fan out. Raises ApiRejection with the API's answer."""
    try:
        doc = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiRejection(400, "invalid JSON", "the request body is not JSON", "1300") from None
    if not isinstance(doc, dict):
        raise _invalid("the request body must be a JSON object")
    recipients, content = doc.get("recipients"), doc.get("content")
    if isinstance(recipients, dict):
        raise _invalid("stored recipient lists are not available in the local sandbox")
    if not isinstance(recipients, list) or not recipients:
        raise _missing("at least one recipient is required")
    if not isinstance(content, dict):
        raise _missing("content object or template_id required")
    rfc822 = content.get("email_rfc822")
    if not isinstance(rfc822, str) or not rfc822.strip():
        raise _invalid(
            "the local sandbox takes content.email_rfc822 only (not inline parts, templates "
            "or A/B tests)"
        )
    api = _check_fields(doc)
    try:
        data = rfc822.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid("content.email_rfc822 holds a lone surrogate, which is not text") from None
    if len(data) > MAX_MESSAGE:
        raise _invalid(f"content.email_rfc822 is over the relay's limit of {MAX_MESSAGE} bytes")
    head = _head(data)
    try:
        request = parse_request(data)  # X-MSYS-API is dropped: REST settings are JSON fields
    except MsysRejection as rejection:
        raise _invalid(f"content.email_rfc822 has an unreadable X-MSYS-API header: "
                       f"{rejection.reply}") from None  # fmt: skip
    ccs = _cc_keys(head)
    rcpt_tos: list[str] = []
    lists: dict[str, list[ValidAddress]] = {"cc": [], "bcc": [], "archive": []}
    for i, item in enumerate(recipients):
        addr, copy = _address(i, item)
        key = address_key(addr.addr_spec)
        if not copy:
            rcpt_tos.append(addr.addr_spec)
        elif key in ccs:
            lists["cc"].append(ValidAddress(addr.addr_spec, addr.name or ccs[key]))
        else:
            lists["bcc"].append(addr)
    mail_from = doc.get("return_path") or _from_address(head)
    request = dataclasses.replace(
        request, api=api, lists={name: tuple(v) for name, v in lists.items()}
    )
    return Transmission(request, mail_from, rcpt_tos)


def _from_address(head: Any) -> str:
    try:
        return str(head["from"].addresses[0].addr_spec)
    except (TypeError, ValueError, AttributeError, IndexError, KeyError):
        raise _missing("the content needs a From header with one address") from None
