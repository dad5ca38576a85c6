"""Build Composer's installers, the same command on Linux, macOS and Windows.

    python installers/build.py                 bundle + this platform's installers
    python installers/build.py --hello         also build the bare PySide6+QtWebEngine baseline
    python installers/build.py --no-excludes   bundle without the Qt exclusions (to measure them)
    python installers/build.py --skip-build    package an existing dist/composer again

Run it with the Python that has Composer and PyInstaller installed
(`pip install -e .[bundle]`). Output, all under dist/:

    Linux    composer/ (one folder), composer-<v>-linux-<arch>.tar.gz, composer_<v>_<arch>.deb
    Windows  composer/, composer-<v>-windows-setup.exe (Inno Setup's ISCC, when on PATH)
    macOS    Composer.app, composer-<v>-macos.dmg (hdiutil)

and dist/measure.json: build time, size on disk, file count, tar.gz -6 size.

Why a .deb and not an AppImage on Linux: dpkg-deb ships with every Debian/Ubuntu (nothing to
download at build time), the package declares the system libraries Qt's xcb plugin needs as
Depends so apt installs them, and QtWebEngine's helper process and Chromium sandbox run from a
normal read-only folder (/opt/composer) instead of a FUSE mount that many containers and
hardened desktops lack. The .tar.gz is the distribution-neutral alternative.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DIST = ROOT / "dist"
BUILD = ROOT / "build" / "pyinstaller"

sys.path.insert(0, str(ROOT))
from composer import __version__  # noqa: E402  the one version source

# System libraries the bundle does not carry (Qt's xcb plugin, Chromium): the .deb's Depends.
DEB_DEPENDS = [
    "libgl1",
    "libegl1",
    "libglib2.0-0",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-randr0",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xinerama0",
    "libxcb-xkb1",
    "libxcb-xfixes0",
    "libx11-xcb1",
    "libxrender1",
    "libxi6",
    "libxext6",
    "libnss3",
    "libxcomposite1",
    "libxdamage1",
    "libxrandr2",
    "libxtst6",
    "libxkbfile1",
    "libasound2 | libasound2t64",
    "ca-certificates",
]


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


# --- measuring ----------------------------------------------------------------------------------


def tree_size(path: Path) -> tuple[int, int]:
    """(bytes, files): the apparent size of every file, like `du -sb` without the folders."""
    total = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                total += os.path.getsize(p)
                files += 1
    return total, files


def make_targz(folder: Path, out: Path) -> int:
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name)
    return out.stat().st_size


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


# --- PyInstaller ----------------------------------------------------------------------------------


def pyinstaller(
    spec_or_script: Path,
    distpath: Path,
    workpath: Path,
    *extra: str,
    env: dict[str, str] | None = None,
) -> float:
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(distpath),
        "--workpath",
        str(workpath),
        *extra,
        str(spec_or_script),
    ]
    log(" ".join(cmd))
    start = time.monotonic()
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, **(env or {})})
    return time.monotonic() - start


def build_bundle(no_excludes: bool) -> float:
    env = {"COMPOSER_SPEC_NO_EXCLUDES": "1"} if no_excludes else {}
    return pyinstaller(HERE / "composer.spec", DIST, BUILD, env=env)


def build_hello(out: Path) -> dict[str, float | int]:
    """The baseline: a bare PySide6 + QtWebEngine window, one folder, default options."""
    seconds = pyinstaller(
        HERE / "bench_hello" / "hello.py",
        out / "dist",
        out / "build",
        "--onedir",
        "--windowed",
        "--name",
        "hello",
        "--specpath",
        str(out),
    )
    folder = out / "dist" / "hello"
    size, files = tree_size(folder)
    tgz = make_targz(folder, out / "hello.tar.gz")
    return {"build_seconds": round(seconds, 1), "bytes": size, "files": files, "targz_bytes": tgz}


# What each exclusion in composer.spec removes: the files of a bundle built without them that
# the real bundle lacks, grouped by the rule that dropped them (first match wins).
EXCLUSION_GROUPS = [
    ("Chromium UI locales but en-US/en-GB", "/Qt/translations/qtwebengine_locales/"),
    ("Qt's own translations (*.qm)", "/Qt/translations/"),
    ("QtQml/QtQuick/QtQuickWidgets: qml/ plugins", "/Qt/qml/"),
    ("QtQml/QtQuick/QtQuickWidgets: Qt libraries only they load", "/Qt/lib/"),
    ("QtQml/QtQuick/QtQuickWidgets: Python bindings", "PySide6/"),
]


def exclusion_savings(full: Path, slim: Path) -> dict[str, dict[str, int]]:
    def files(root: Path) -> dict[str, int]:
        out = {}
        for dirpath, _dirs, names in os.walk(root):
            for n in names:
                p = os.path.join(dirpath, n)
                if not os.path.islink(p):
                    out[os.path.relpath(p, root).replace(os.sep, "/")] = os.path.getsize(p)
        return out

    a, b = files(full), files(slim)
    groups: dict[str, dict[str, int]] = {}
    for rel, size in a.items():
        if rel in b:
            continue
        name = next((g for g, pat in EXCLUSION_GROUPS if pat in "/" + rel), "other")
        g = groups.setdefault(name, {"bytes": 0, "files": 0})
        g["bytes"] += size
        g["files"] += 1
    return groups


# --- Linux ------------------------------------------------------------------------------------


def deb_arch() -> str:
    try:
        return subprocess.run(
            ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def build_deb(bundle: Path, compression: str = "gzip") -> Path:
    """gzip by default: xz -6 is 28% smaller (152 vs 213 MB) but took ~4 min here, gzip ~25 s."""
    arch = deb_arch()
    root = BUILD / "deb" / f"composer_{__version__}_{arch}"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root / "opt" / "composer", symlinks=True)
    bindir = root / "usr" / "bin"
    bindir.mkdir(parents=True)
    for name in ("composer", "composer-send"):
        (bindir / name).symlink_to(f"/opt/composer/{name}")
    apps = root / "usr" / "share" / "applications"
    apps.mkdir(parents=True)
    shutil.copy(HERE / "linux" / "composer.desktop", apps / "composer.desktop")
    icons = root / "usr" / "share" / "icons" / "hicolor" / "256x256" / "apps"
    icons.mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "composer-icon.png", icons / "composer.png")
    installed_kb = tree_size(root)[0] // 1024
    control = (
        (HERE / "linux" / "control.in")
        .read_text(encoding="utf-8")
        .format(
            version=__version__,
            arch=arch,
            installed_size=installed_kb,
            depends=", ".join(DEB_DEPENDS),
        )
    )
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN" / "control").write_text(control, encoding="utf-8")
    for d in [root, *root.rglob("*")]:  # dpkg-deb wants 0755 folders and sane modes
        if d.is_dir() and not d.is_symlink():
            d.chmod(0o755)
    out = DIST / f"composer_{__version__}_{arch}.deb"
    cmd = [
        "dpkg-deb",
        "--root-owner-group",
        f"-Z{compression}",
        "-z6",
        "--build",
        str(root),
        str(out),
    ]
    log(" ".join(cmd))
    subprocess.run(cmd, check=True)
    return out


# --- Windows / macOS -----------------------------------------------------------------------------


def build_inno(bundle: Path) -> Path | None:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    default = Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"))
    default = default / "Inno Setup 6" / "ISCC.exe"
    if iscc is None and default.exists():
        iscc = str(default)
    if iscc is None:
        log("Inno Setup's ISCC not found: skipping the installer (choco install innosetup)")
        return None
    cmd = [
        iscc,
        f"/DAppVersion={__version__}",
        f"/DSourceDir={bundle}",
        f"/O{DIST}",
        str(HERE / "windows" / "composer.iss"),
    ]
    log(" ".join(cmd))
    subprocess.run(cmd, check=True)
    return DIST / f"composer-{__version__}-windows-setup.exe"


def build_dmg(app: Path) -> Path:
    out = DIST / f"composer-{__version__}-macos.dmg"
    out.unlink(missing_ok=True)
    stage = BUILD / "dmg"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    shutil.copytree(app, stage / app.name, symlinks=True)
    (stage / "Applications").symlink_to("/Applications")
    cmd = [
        "hdiutil",
        "create",
        "-volname",
        f"Composer {__version__}",
        "-srcfolder",
        str(stage),
        "-ov",
        "-format",
        "UDZO",
        str(out),
    ]
    log(" ".join(cmd))
    subprocess.run(cmd, check=True)
    return out


# --- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hello", action="store_true", help="also build the hello-world baseline")
    parser.add_argument("--no-excludes", action="store_true", help="keep every Qt module")
    parser.add_argument("--skip-build", action="store_true", help="reuse dist/composer")
    parser.add_argument("--no-package", action="store_true", help="the bundle only")
    parser.add_argument(
        "--deb-compression",
        choices=["gzip", "xz", "zstd"],
        default="gzip",
        help="dpkg-deb -Z (default gzip: fast, and every dpkg reads it)",
    )
    parser.add_argument(
        "--measure-excludes",
        action="store_true",
        help="also build without the Qt exclusions and report what each saves",
    )
    args = parser.parse_args(argv)

    report: dict[str, object] = {
        "version": __version__,
        "platform": sys.platform,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    bundle = DIST / "composer"
    if not args.skip_build:
        seconds = build_bundle(args.no_excludes)
        report["build_seconds"] = round(seconds, 1)
        log(f"PyInstaller took {seconds:.0f} s")
    if not bundle.is_dir():
        log(f"no bundle at {bundle}")
        return 1
    size, files = tree_size(bundle)
    report.update(bytes=size, files=files, excludes=not args.no_excludes)

    artifacts: list[Path] = []
    if sys.platform.startswith("linux"):
        tgz = DIST / f"composer-{__version__}-linux-{platform.machine()}.tar.gz"
        report["targz_bytes"] = make_targz(bundle, tgz)
        artifacts.append(tgz)
        if not args.no_package:
            if shutil.which("dpkg-deb"):
                artifacts.append(build_deb(bundle, args.deb_compression))
            else:
                log("dpkg-deb not found: no .deb (the .tar.gz is built)")
    elif sys.platform == "win32" and not args.no_package:
        setup = build_inno(bundle)
        if setup:
            artifacts.append(setup)
    elif sys.platform == "darwin" and not args.no_package:
        app = DIST / "Composer.app"
        if app.is_dir():
            artifacts.append(build_dmg(app))
    report["artifacts"] = {p.name: p.stat().st_size for p in artifacts if p.exists()}

    if args.hello:
        report["hello"] = build_hello(BUILD / "hello")
    if args.measure_excludes:
        full_dist = BUILD / "full" / "dist"
        seconds = pyinstaller(
            HERE / "composer.spec",
            full_dist,
            BUILD / "full" / "build",
            env={"COMPOSER_SPEC_NO_EXCLUDES": "1"},
        )
        full_size, full_files = tree_size(full_dist / "composer")
        report["without_excludes"] = {
            "build_seconds": round(seconds, 1),
            "bytes": full_size,
            "files": full_files,
            "saved_by": exclusion_savings(full_dist / "composer", bundle),
        }
        shutil.rmtree(full_dist)  # 0.7 GB: only its numbers are kept

    (DIST / "measure.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    log(f"bundle {bundle}: {mb(size)} on disk, {files} files")
    if "targz_bytes" in report:
        log(f"tar.gz -6: {mb(report['targz_bytes'])}")  # type: ignore[arg-type]
    for name, n in report["artifacts"].items():  # type: ignore[union-attr]
        log(f"{name}: {mb(n)}")
    if args.hello:
        h = report["hello"]
        log(
            f"hello-world baseline: {mb(h['bytes'])} on disk, {h['files']} files, "  # type: ignore[index]
            f"tar.gz -6 {mb(h['targz_bytes'])}, built in {h['build_seconds']} s"
        )  # type: ignore[index]
    if args.measure_excludes:
        w = report["without_excludes"]
        log(f"without the exclusions: {mb(w['bytes'])}, {w['files']} files; they save:")  # type: ignore[index]
        for name, g in sorted(w["saved_by"].items(), key=lambda kv: -kv[1]["bytes"]):  # type: ignore[index]
            log(f"  {mb(g['bytes']):>9}  {g['files']:5d} files  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
