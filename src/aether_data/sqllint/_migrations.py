"""Migration sets: files in version order, and the up/down naming convention.

Versions are the leading numbers of a file name, as migration tools write them:
``0001_init.sql``, ``V1_2__add_index.sql`` (Flyway: 1.2), ``20240101120000_users.up.sql``.
Files without one follow, by name. Where any file ends in ``.up.sql`` or ``.down.sql``, the
up/down convention holds: each ``x.up.sql`` needs its ``x.down.sql``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["down_for", "is_down", "migration_order", "uses_up_down"]

_VERSION = re.compile(r"^[Vv]?(\d+(?:[._]\d+)*)")
_UP, _DOWN = ".up.sql", ".down.sql"


def _key(path: str) -> tuple:
    name = path.rsplit("/", 1)[-1]
    match = _VERSION.match(name)
    if match is None:
        return (1, (), is_down(path), path)
    version = tuple(int(part) for part in re.split(r"[._]", match.group(1)))
    return (0, version, is_down(path), path)


def migration_order(paths: Sequence[str]) -> list[str]:
    """``paths`` in the order a migration tool applies them (folders first by their own
    version: ``2024_01/...`` before ``2024_02/...``)."""
    return sorted(paths, key=lambda p: tuple(_key(part) for part in p.split("/")))


def is_down(path: str) -> bool:
    """Whether ``path`` is a down (revert) migration."""
    return path.lower().endswith(_DOWN)


def down_for(path: str) -> str:
    """The down migration's path for up migration ``path``."""
    stem = path[: -len(_UP)] if path.lower().endswith(_UP) else path.removesuffix(".sql")
    return stem + _DOWN


def uses_up_down(paths: Sequence[str]) -> bool:
    """Whether the set follows the up/down convention."""
    return any(p.lower().endswith((_UP, _DOWN)) for p in paths)
