"""GUI test set-up: the preview's URL scheme must be registered before the QApplication exists."""

from __future__ import annotations

import pytest

from composer.gui.model import DraftModel
from composer.gui.preview.scheme import register_preview_scheme


def pytest_configure(config: pytest.Config) -> None:
    # pytest-qt creates the QApplication lazily in the first test that asks for it, which is
    # after every conftest has been configured.
    register_preview_scheme()


@pytest.fixture
def model() -> DraftModel:
    return DraftModel()
