"""Sending profiles: which relay, which login form, which default sender. Never a key.

Profiles file (``Paths.profiles_file``, JSON, UTF-8), version 1::

    {"format": "composer-profiles", "version": 1, "default": "local",
     "profiles": [
        {"name": "local", "provider": "local", "host": "127.0.0.1", "port": 8025,
         "subaccount": null, "workspace": null, "default_from": "", "tls": false}]}

Optional: ``"api": "rest"`` (missing: ``"smtp"``) and ``"api_url"`` (missing: the provider's),
written only when set, so SMTP profiles look as before and older versions read the file as ever.
Likewise ``"fallback_port"``: missing or null, the relay's documented 2525 is tried only for the
documented relay hosts at their documented port; a number, that port is tried when ``port``
cannot be reached; 0, never a second port (see ``Profile.ports``). ``"connections"`` (missing:
4) and ``"clients"`` (a list of caniemail client ids the checks target; missing or empty: the
default set, core/checks/model.py DEFAULT_CLIENTS) are likewise written only when not the default.

No file means a fresh install: one profile, ``local``, which is the default (nothing is written
until something changes). A file that cannot be read is a ``ProfileFileError`` naming the file
and the field, and it is left exactly as it is: a typo must not cost every other profile.
API keys live in the keyring (credentials.py); this file only ever holds what ``Profile`` has.
"""

from __future__ import annotations

import builtins
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from composer.core import jsonin
from composer.core.addresses import AddressError, check_address
from composer.core.draft import parse_recipient
from composer.core.errors import ProfileError, ProfileFileError
from composer.core.hosts import is_loopback
from composer.store.atomic import atomic_write_text
from composer.transport.profiles.providers import (
    PRESETS,
    Preset,
    Provider,
    check_host,
    parse_provider,
    smtp_username,
)
from composer.transport.profiles.rest_urls import check_rest, rest_host, rest_url

__all__ = ["LOCAL_PROFILE", "Profile", "ProfileError", "ProfileFileError", "ProfileStore"]

FORMAT_NAME = "composer-profiles"
FORMAT_VERSION = 1
# A file of a hundred profiles is ~30 KB; past this it is not a profiles file a person wrote.
MAX_FILE_BYTES = 1_000_000

# Names are keyring user names and command-line arguments: keep them plain.
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "provider": (str,),
    "host": (str,),
    "port": (int,),
    "subaccount": (str, type(None)),
    "workspace": (str, type(None)),
    "default_from": (str,),
    "tls": (bool,),
    "api": (str,),
    "api_url": (str, type(None)),
    "fallback_port": (int, type(None)),
    "connections": (int,),
    "clients": (tuple, list),
}
# defaults not written: the old file format
_OMIT_WHEN = {
    "api": "smtp", "api_url": None, "fallback_port": None, "connections": 4, "clients": (),
}  # fmt: skip
DEFAULT_CONNECTIONS = 4  # connections a send opens at once (issue 17); the relay allows many
MAX_CONNECTIONS = 20
_REQUIRED = ("name", "provider", "host", "port")
_WORDS = {str: "text", int: "a whole number", bool: "true or false", type(None): "null",
          tuple: "a list of client ids", list: "a list of client ids"}  # fmt: skip


def _type_name(value: Any) -> str:
    kinds = ((type(None), "null"), (bool, "true/false"), (str, "text"), ((int, float), "a number"),
             (list, "a list"), (dict, "an object"))  # fmt: skip
    return next((word for kind, word in kinds if isinstance(value, kind)), type(value).__name__)


def _check_type(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be field ``key``, or None. bool is an int in Python: never a port."""
    kinds = _FIELD_TYPES[key]
    if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
        return None
    words = dict.fromkeys(_WORDS[k] for k in kinds)
    return f"must be {' or '.join(words)}, not {_type_name(value)}"


@dataclass(frozen=True)
class Profile:
    name: str
    provider: Provider
    host: str
    port: int
    subaccount: str | None = None
    workspace: str | None = None
    default_from: str = ""
    tls: bool = True
    api: str = "smtp"  # or "rest": the Transmissions API
    api_url: str | None = None  # REST base URL; None: the provider's own
    # None: automatic (the documented hosts only); N: try N when `port` cannot be reached;
    # 0: never another port. Never used without TLS.
    fallback_port: int | None = None
    # Connections a send (seed list, outbox resume) opens at once, each ≤ 100 messages.
    connections: int = DEFAULT_CONNECTIONS
    # The email clients the pre-send checks target (caniemail ids); (): the default set.
    clients: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Validate here so that no invalid Profile exists anywhere: not from the CLI, the
        # window or the file.
        for key in _FIELD_TYPES:
            problem = _check_type(key, getattr(self, key))
            if problem:
                raise ProfileError(key, problem)
        object.__setattr__(self, "provider", parse_provider(self.provider))
        if not _NAME_RE.fullmatch(self.name):
            raise ProfileError(
                "name",
                f"{self.name!r} must be 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit",
            )
        check_host(self.host)
        if not 1 <= self.port <= 65535:
            raise ProfileError("port", f"{self.port} is not between 1 and 65535")
        if self.fallback_port is not None and not 0 <= self.fallback_port <= 65535:
            raise ProfileError(
                "fallback_port", f"{self.fallback_port} is not between 1 and 65535 (0: none)"
            )
        if not 1 <= self.connections <= MAX_CONNECTIONS:
            raise ProfileError(
                "connections", f"{self.connections} is not between 1 and {MAX_CONNECTIONS}"
            )
        self._check_clients()
        smtp_username(self.provider, self.subaccount, self.workspace)  # raises when invalid
        check_rest(self.provider, self.api, self.api_url)
        if self.default_from:
            try:
                check_address(parse_recipient(self.default_from))
            except AddressError as exc:
                raise ProfileError("default_from", str(exc)) from None
        if not self.tls and not is_loopback(self.host):
            raise ProfileError(
                "tls",
                f"can be turned off only for a relay on this computer (localhost, 127.0.0.1, "
                f"::1), not {self.host}: the API key would cross the network in the clear",
            )
        if self.fallback_port and not self.tls:
            raise ProfileError(
                "fallback_port",
                "needs TLS: without it the key would go in the clear to whatever listens on "
                "the second port; only the port named is used",
            )

    @classmethod
    def new(cls, name: str, provider: str | Provider, **fields: Any) -> Profile:
        """A profile with the provider's defaults for whatever ``fields`` leaves out or None."""
        p = PRESETS[parse_provider(provider)]
        given = {k: v for k, v in fields.items() if v is not None}
        if "host" not in given and p.host is None and given.get("api") == "rest":
            given["host"] = rest_host(p.provider, given.get("api_url"))  # REST-only Enterprise
        if "host" not in given and p.host is None:
            raise ProfileError("host", f"{p.label} needs a host (--host)")
        given.setdefault("host", p.host)
        given.setdefault("port", p.port)
        # The local relay is plain SMTP on loopback; pointed anywhere else it needs TLS too.
        given.setdefault("tls", p.tls or not is_loopback(given["host"]))
        return cls(name=name, provider=p.provider, **given)

    def _check_clients(self) -> None:
        if not all(isinstance(c, str) for c in self.clients):
            raise ProfileError("clients", "must be a list of client ids (text)")
        ids = tuple(dict.fromkeys(c.strip() for c in self.clients))
        object.__setattr__(self, "clients", ids)  # a list from JSON: a tuple, once each
        if ids:
            from composer.core.checks.caniemail import clients_problem  # its data: only if set

            problem = clients_problem(ids)
            if problem:
                raise ProfileError("clients", problem)

    @property
    def preset(self) -> Preset:
        return PRESETS[self.provider]

    @property
    def username(self) -> str:
        return smtp_username(self.provider, self.subaccount, self.workspace)

    @property
    def needs_key(self) -> bool:
        return self.preset.needs_key

    @property
    def rest_url(self) -> str | None:
        """The REST base URL; None for the built-in local sandbox (started per send)."""
        return rest_url(self.provider, self.api_url)

    @property
    def ports(self) -> tuple[int, ...]:
        """Ports to try in order. A second one only over TLS, and only when asked for
        (``fallback_port``) or when this is a documented relay host (SparkPost, Bird; US, EU)
        at its documented port, whose documented alternative (2525) is then tried: never for
        a custom host or a port someone chose (issue 12: with --no-tls the key went to
        whatever listened on 127.0.0.1:2525)."""
        fallback = self.fallback_port
        if fallback is None:
            p = self.preset
            documented = p.host is not None and self.host.lower().rstrip(".") == p.host
            fallback = p.fallback_port if documented and self.port == p.port else None
        if not self.tls or not fallback or fallback == self.port:
            return (self.port,)
        return (self.port, fallback)


LOCAL_PROFILE = Profile.new("local", Provider.LOCAL)


def _profile_from_json(item: Any, where: str, path: Path) -> Profile:
    if not isinstance(item, dict):
        raise ProfileFileError(path, where, f"must be an object, not {_type_name(item)}")
    values: dict[str, Any] = {}
    for key in _FIELD_TYPES:
        if key not in item:
            if key in _REQUIRED:
                raise ProfileFileError(path, f"{where}.{key}", "is missing")
            continue  # optional fields take their defaults
        problem = _check_type(key, item[key])
        if problem:
            raise ProfileFileError(path, f"{where}.{key}", problem)
        values[key] = item[key]
    try:
        return Profile(**values)
    except ProfileError as exc:
        raise ProfileFileError(path, f"{where}.{exc.field}", exc.message) from None


def _to_json(p: Profile) -> dict[str, Any]:
    doc = {**asdict(p), "provider": p.provider.value}
    return {k: v for k, v in doc.items() if k not in _OMIT_WHEN or v != _OMIT_WHEN[k]}


def _find(profiles: list[Profile], name: str) -> Profile:
    for p in profiles:
        if p.name == name:
            return p
    names = ", ".join(p.name for p in profiles) or "none"
    raise ProfileError("profile", f"there is no profile named {name!r} (profiles: {names})")


class ProfileStore:
    """The profiles file. Every call reads it afresh, so two windows or a window and the CLI
    never act on a stale copy; every change is one atomic write."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _load(self) -> tuple[builtins.list[Profile], str | None]:
        # Read like a draft (core/jsonin.py): a FIFO or device is refused, not waited on, and
        # nothing past MAX_FILE_BYTES is read; a profiles file of a few KB is all there is.
        try:
            data = jsonin.read_regular_file(self.path, MAX_FILE_BYTES)
        except jsonin.InputError as exc:
            if not self.path.exists():
                return [LOCAL_PROFILE], LOCAL_PROFILE.name
            raise ProfileFileError(self.path, "", str(exc)) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ProfileFileError(self.path, "", "is not UTF-8 text") from None
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProfileFileError(
                self.path, "", f"is not valid JSON (line {exc.lineno}, column {exc.colno})"
            ) from None
        except RecursionError:  # a 1 MB file can nest deeper than the parser's stack
            raise ProfileFileError(self.path, "", "is nested too deeply") from None
        return self._parse(doc)

    def _parse(self, doc: Any) -> tuple[builtins.list[Profile], str | None]:
        path = self.path
        if not isinstance(doc, dict):
            raise ProfileFileError(path, "", f"must hold an object, not {_type_name(doc)}")
        if doc.get("format") != FORMAT_NAME:
            raise ProfileFileError(path, "format", f"must be {FORMAT_NAME!r}")
        version = doc.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ProfileFileError(path, "version", "must be a whole number")
        if version > FORMAT_VERSION:
            raise ProfileFileError(path, "version", f"is {version}: written by a newer Composer")
        items = doc.get("profiles")
        if not isinstance(items, builtins.list):
            raise ProfileFileError(path, "profiles", f"must be a list, not {_type_name(items)}")
        profiles: builtins.list[Profile] = []
        for i, item in enumerate(items):
            profile = _profile_from_json(item, f"profiles[{i}]", path)
            if any(p.name == profile.name for p in profiles):
                raise ProfileFileError(path, f"profiles[{i}].name", "the same name twice")
            profiles.append(profile)
        default = doc.get("default")
        if default is not None and all(p.name != default for p in profiles):
            raise ProfileFileError(path, "default", f"names no profile: {default!r}")
        return profiles, default

    def list(self) -> builtins.list[Profile]:
        return self._load()[0]

    def __contains__(self, name: object) -> bool:
        return any(p.name == name for p in self.list())

    def get(self, name: str) -> Profile:
        return _find(self.list(), name)

    @property
    def default_name(self) -> str | None:
        return self._load()[1]

    def default(self) -> Profile | None:
        profiles, default = self._load()
        return next((p for p in profiles if p.name == default), None)

    def _save(self, profiles: builtins.list[Profile], default: str | None) -> None:
        doc = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "default": default,
            "profiles": [_to_json(p) for p in profiles],
        }
        # 0600: no secrets here, but subaccount and workspace ids are nobody else's business
        atomic_write_text(self.path, json.dumps(doc, indent=2) + "\n", mode=0o600)

    def add(self, profile: Profile, replace: bool = False) -> None:
        profiles, default = self._load()
        at = next((i for i, p in enumerate(profiles) if p.name == profile.name), None)
        if at is None:
            profiles.append(profile)
        elif replace:
            profiles[at] = profile
        else:
            raise ProfileError(
                "name",
                f"a profile named {profile.name!r} already exists (replace it, or remove it first)",
            )
        self._save(profiles, default if default is not None else profile.name)

    def remove(self, name: str) -> Profile:
        profiles, default = self._load()
        gone = _find(profiles, name)
        rest = [p for p in profiles if p.name != name]
        if default == name:
            # The default must always name a profile: fall back to the first one left.
            default = rest[0].name if rest else None
        self._save(rest, default)
        return gone

    def set_default(self, name: str) -> None:
        profiles, _ = self._load()
        _find(profiles, name)
        self._save(profiles, name)
