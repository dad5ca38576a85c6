#!/usr/bin/env bash
# Install Composer from this source tree into ./.venv, with what the OS must provide.
#
#   bash installers/setup-dev.sh           the app's needs (Qt's system libraries, Python deps)
#   bash installers/setup-dev.sh --test    plus what the tests need (Xvfb, D-Bus, gnome-keyring)
#
# On Debian/Ubuntu it installs the system packages with apt-get (through sudo when not root).
# Elsewhere (macOS, Windows with Git Bash) Qt's wheels bring their own libraries: it skips
# that step and only creates the virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

# Qt's xcb platform plugin and QtWebEngine (Chromium) need these at run time.
runtime_pkgs=(
  python3 python3-venv python3-pip
  libgl1 libegl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
  libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0
  libxcb-xkb1 libxcb-xfixes0 libx11-xcb1 libxrender1 libxi6 libxext6
  libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 libasound2
  fonts-dejavu-core ca-certificates
)
# Tests: a virtual screen for screenshots, and a real Secret Service for the keyring test.
test_pkgs=(xvfb xauth dbus dbus-x11 gnome-keyring)

if command -v apt-get >/dev/null 2>&1; then
  pkgs=("${runtime_pkgs[@]}")
  [ "$want_tests" = 1 ] && pkgs+=("${test_pkgs[@]}")
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "Installing system packages: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  echo "No apt-get here: skipping system packages (Qt's wheels carry their own on macOS/Windows)."
fi

python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Composer needs Python 3.11 or newer; $("$python" --version) found. Set PYTHON=..." >&2
  exit 1
}
[ -x .venv/bin/python ] || [ -x .venv/Scripts/python.exe ] || "$python" -m venv .venv
venv_python=.venv/bin/python
[ -x "$venv_python" ] || venv_python=.venv/Scripts/python.exe
"$venv_python" -m pip install --quiet --upgrade pip
if [ "$want_tests" = 1 ]; then
  "$venv_python" -m pip install --quiet -e '.[test]'
else
  "$venv_python" -m pip install --quiet -e .
fi
# An editable install leaves our own modules uncompiled, and with PYTHONDONTWRITEBYTECODE set
# (as on CI) every start would compile them again (~30 ms of the window's start-up).
"$venv_python" -m compileall -q composer >/dev/null
echo "Composer is installed in .venv"
