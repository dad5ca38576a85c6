"""caniemail.com's support data: which email clients support which HTML and CSS features.

The raw data (``resources/caniemail/caniemail.json``, MIT, from the npm package ``caniemail``;
``installers/refresh_caniemail.py`` refreshes it) is 650 KB. What a check needs is much smaller:
for each feature, the clients whose latest tested version does not fully support it. The
refresh script writes that as ``resources/caniemail/index.json`` with ``compact`` below, and
``index()`` loads only the index, once per process.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from composer.core.resources import resource_path

__all__ = [
    "KNOWN_CLIENTS",
    "Feature",
    "Index",
    "client_name",
    "clients_problem",
    "compact",
    "index",
    "known_clients",
    "split_client_ids",
    "unknown_clients",
]

INDEX_NAME = "caniemail/index.json"


def compact(raw: dict[str, Any], *, version: str = "", fetched: str = "") -> dict[str, Any]:
    """The index written next to the raw data: per feature, each client's latest support when
    it is not plain "y" ("a" partial, "n" none; "u" unknown is dropped: it tells nobody
    anything), with the notes those values cite."""
    nice = raw.get("nicenames", {})
    fams, plats = nice.get("family", {}), nice.get("platform", {})
    clients: dict[str, str] = {}
    features: dict[str, Any] = {}
    for feat in raw["data"]:
        support: dict[str, str] = {}
        cited: set[str] = set()
        for fam, platforms in sorted(feat.get("stats", {}).items()):
            for plat, versions in sorted(platforms.items()):
                cid = f"{fam}.{plat}"
                clients[cid] = f"{fams.get(fam, fam)} {plats.get(plat, plat)}"
                if not versions:
                    continue
                latest = str(list(versions.values())[-1]).split()
                if latest and latest[0] in ("a", "n"):
                    support[cid] = " ".join(latest)
                    cited.update(x[1:] for x in latest[1:] if x.startswith("#"))
        notes = feat.get("notes_by_num") or {}
        features[feat["slug"]] = {
            "title": feat.get("title", feat["slug"]),
            "url": feat.get("url", ""),
            "support": support,
            "notes": {k: notes[k] for k in sorted(cited) if k in notes},
        }
    return {
        "source": {
            "package": "caniemail",
            "version": version,
            "api_version": raw.get("api_version", ""),
            "last_update_date": raw.get("last_update_date", ""),
            "fetched": fetched,
        },
        "clients": dict(sorted(clients.items())),
        "features": features,
    }


@dataclass(frozen=True)
class Feature:
    slug: str
    title: str
    url: str
    # client id -> ("a" | "n", the notes that apply to it)
    support: dict[str, tuple[str, tuple[str, ...]]]

    def gaps(self, clients: tuple[str, ...]) -> dict[str, tuple[str, tuple[str, ...]]]:
        return {c: self.support[c] for c in clients if c in self.support}


@dataclass(frozen=True)
class Index:
    clients: dict[str, str]  # id -> "Gmail iOS"
    features: dict[str, Feature]
    source: dict[str, str]


@functools.cache
def index() -> Index:
    data = json.loads(resource_path(INDEX_NAME).read_text(encoding="utf-8"))
    features = {}
    for slug, f in data["features"].items():
        notes = f["notes"]
        support = {}
        for cid, value in f["support"].items():
            level, *refs = value.split()
            support[cid] = (level, tuple(notes[r[1:]] for r in refs if r[1:] in notes))
        features[slug] = Feature(slug, f["title"], f["url"], support)
    return Index(data["clients"], features, data["source"])


def known_clients() -> dict[str, str]:
    """Every client id caniemail has data for, with its name (for ``--clients``)."""
    return index().clients


def unknown_clients(ids: tuple[str, ...] | list[str]) -> list[str]:
    """The ids in ``ids`` that are not caniemail client ids (for a clear error naming them)."""
    known = known_clients()
    return [c for c in ids if c not in known]


def split_client_ids(text: str) -> tuple[str, ...]:
    """``gmail.ios, outlook.windows`` -> the ids, in order, once each (not checked)."""
    return tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))


def clients_problem(ids: tuple[str, ...] | list[str]) -> str | None:
    """Why ``ids`` is not a target client list (none, or an unknown id), or None. The one
    wording for ``--clients``, the profile file and the profile form."""
    if not ids:
        return "name at least one client id, like gmail.ios,outlook.windows"
    unknown = unknown_clients(ids)
    if unknown:
        known = ", ".join(sorted(known_clients()))
        return f"unknown client id {', '.join(map(repr, unknown))}; known: {known}"
    return None


def client_name(cid: str) -> str:
    return index().clients.get(cid, cid)


KNOWN_CLIENTS = known_clients
