"""PyInstaller entry of the console ``composer-send``: ``composer send`` under its own name.

``composer-send --self-test`` runs the bundle's self-test (a console program, so that on
Windows, where the windowed ``composer.exe`` has no console, CI and support can read it).
"""

import sys

from composer.cli import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] in (["--self-test"], ["--version"]):
        sys.exit(main(args))
    sys.exit(main(["send", *args]))
