"""Refresh the vendored caniemail data in resources/caniemail/.

    .venv/bin/python installers/refresh_caniemail.py [--version 2.0.2]

Downloads the npm package ``caniemail`` (MIT; the data of caniemail.com) from the npm registry,
and rewrites:

- ``resources/caniemail/caniemail.json`` — the package's ``data/caniemail.json`` as published;
- ``resources/caniemail/LICENSE`` — the package's licence;
- ``resources/caniemail/index.json`` — the compact index the checks load
  (composer.core.checks.caniemail.compact), stamped with the version and today's date.

Run it from the repository root, look at ``git diff --stat resources/caniemail``, run
``tests/core/checks`` and commit. Network: two HTTPS requests to registry.npmjs.org, each
with a 60 s deadline and a 10 MB cap.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from composer.core.checks.caniemail import compact  # noqa: E402

REGISTRY = "https://registry.npmjs.org/caniemail"
CAP = 10_000_000
OUT = ROOT / "resources" / "caniemail"


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as reply:  # fixed https addresses only
        data: bytes = reply.read(CAP + 1)
    if len(data) > CAP:
        raise SystemExit(f"{url}: larger than {CAP} bytes; refusing")
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="latest", help="npm version of caniemail (or latest)")
    args = ap.parse_args(argv)
    meta = json.loads(get(f"{REGISTRY}/{args.version}"))
    version, tarball = meta["version"], meta["dist"]["tarball"]
    if not tarball.startswith("https://registry.npmjs.org/"):
        raise SystemExit(f"unexpected tarball address {tarball!r}")
    with tarfile.open(fileobj=io.BytesIO(get(tarball)), mode="r:gz") as tar:
        raw_bytes = tar.extractfile("package/data/caniemail.json").read()  # type: ignore[union-attr]
        licence = tar.extractfile("package/LICENSE").read()  # type: ignore[union-attr]
    raw = json.loads(raw_bytes)
    today = datetime.date.today().isoformat()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "caniemail.json").write_bytes(raw_bytes)
    (OUT / "LICENSE").write_bytes(licence)
    idx = compact(raw, version=version, fetched=today)
    (OUT / "index.json").write_text(
        json.dumps(idx, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n",
        encoding="utf-8",
    )
    print(
        f"caniemail {version} (data of {raw.get('last_update_date')}): "
        f"{len(idx['features'])} features, {len(idx['clients'])} clients -> {OUT}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
