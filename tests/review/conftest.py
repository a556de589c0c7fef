"""Review fixtures: catalogs on each engine (``catalog_url`` from tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

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


@pytest.fixture
def race() -> Callable[..., list[Any]]:
    """``race(worker, threads=8)``: call ``worker(i)`` from threads released together; return
    each result or raised exception."""

    def run_all(worker: Callable[[int], Any], threads: int = 8) -> list[Any]:
        barrier = threading.Barrier(threads)

        def run(i: int) -> Any:
            barrier.wait()
            try:
                return worker(i)
            except Exception as exc:
                return exc

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(run, range(threads)))

    return run_all
