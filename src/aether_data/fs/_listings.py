"""Folder listings remembered for the length of one bulk operation.

fsspec's ``get``, ``put``, ``copy`` and ``rm`` list folders and then ask ``info`` / ``isdir``
about every path they found; answering those from the listings just fetched saves one round
trip per file. The listings are forgotten when the operation ends (a session may be changed by
other writers at any time, so nothing is kept between calls) and per thread.
"""

from __future__ import annotations

import posixpath
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["Listings"]

Info = dict[str, Any]


class Listings:
    """Listings by folder path (and single entries by path), alive only inside
    ``during_operation()``."""

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def _folders(self) -> dict[str, list[Info]] | None:
        return getattr(self._local, "folders", None)

    @property
    def _entries(self) -> dict[str, Info]:
        return self._local.entries

    @contextmanager
    def during_operation(self) -> Iterator[None]:
        """Remember listings until the outermost operation ends."""
        if self._folders is not None:
            yield
            return
        self._local.folders, self._local.entries = {}, {}
        try:
            yield
        finally:
            self._local.folders = self._local.entries = None

    def listing(self, folder: str) -> list[Info] | None:
        """The remembered listing of ``folder``, if any."""
        folders = self._folders
        return None if folders is None else folders.get(folder)

    def remember(self, folder: str, infos: list[Info]) -> None:
        """Keep ``infos`` as the listing of ``folder`` (outside an operation: nothing)."""
        if self._folders is not None:
            self._folders[folder] = infos

    def remember_entry(self, info: Info) -> None:
        """Keep one entry looked up on its own (outside an operation: nothing)."""
        if self._folders is not None:
            self._entries[info["name"]] = info

    def info(self, path: str) -> Info | None:
        """The entry of ``path`` from what was seen; ``{}`` when its folder's listing shows
        that it does not exist; None when nothing is known."""
        if self._folders is None:
            return None
        if path in self._entries:
            return self._entries[path]
        listing = self.listing(posixpath.dirname(path))
        if listing is None:
            return None
        return next((info for info in listing if info["name"] == path), {})

    def forget(self, path: str | None) -> None:
        """Drop what a change at ``path`` makes stale: its folder's listing, itself, what is
        below it and the entries of the folders above (everything when None)."""
        folders = self._folders
        if folders is None:
            return
        entries = self._entries
        if path is None:
            folders.clear()
            entries.clear()
            return
        parent, below = posixpath.dirname(path), path + "/"
        for folder in list(folders):
            if folder in (path, parent) or folder.startswith(below):
                del folders[folder]
        for name in list(entries):  # itself, below, and the folders above (their ids change)
            if name == path or name.startswith(below) or path.startswith(name + "/"):
                del entries[name]
