"""PyInstaller entry of the windowed ``composer`` app: the same ``main`` as the pip script."""

import sys

from composer.cli import main

if __name__ == "__main__":
    sys.exit(main())
