"""A real keyring backend class kept in memory: the keyring library's own API, no mocks of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import keyring
import keyring.backend
import keyring.errors


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Entries in a dict; deleting a missing one fails as the real backends do."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("not found") from None


Backend = keyring.backend.KeyringBackend


@contextmanager
def using_keyring() -> Iterator[Callable[[Backend], Backend]]:
    """``use(backend)`` makes it the keyring; the one before is back when the block ends."""
    previous = keyring.get_keyring()

    def use(backend: Backend) -> Backend:
        keyring.set_keyring(backend)
        return backend

    try:
        yield use
    finally:
        keyring.set_keyring(previous)
