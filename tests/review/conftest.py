"""Review fixtures: catalogs on each engine (``catalog_url`` from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from aether_data.catalog import SqlCatalog


@pytest.fixture
def open_catalog(catalog_url: str) -> Iterator[Callable[[], SqlCatalog]]:
    """Open a catalog on the test's database; each call is another process or replica."""
    opened: list[SqlCatalog] = []

    def _open() -> SqlCatalog:
        opened.append(SqlCatalog(catalog_url))
        return opened[-1]

    yield _open
    for catalog in opened:
        catalog.close()


@pytest.fixture
def catalog(open_catalog: Callable[[], SqlCatalog]) -> SqlCatalog:
    return open_catalog()
