"""Every file the app reads from resources/ is matched by the wheel's package-data globs.

setuptools' globs do not recurse ("*" is the top folder only): resources/templates/*.json were
left out of the wheel until each folder was named."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = {"screenshots"}  # README pictures, not read at run time


def test_every_runtime_resource_is_in_the_wheels_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = config["package-data"]["composer._resources"]
    resources = ROOT / "resources"
    shipped = {p for pattern in patterns for p in resources.glob(pattern) if p.is_file()}
    needed = {
        p for p in resources.rglob("*")
        if p.is_file() and not NOT_SHIPPED & set(p.relative_to(resources).parts)
    }  # fmt: skip
    missing = sorted(str(p.relative_to(resources)) for p in needed - shipped)
    assert not missing, f"add their folders to package-data: {missing[:5]}"
    assert any(p.parent.name == "templates" for p in shipped)
