"""One ``store`` fixture, parametrized over every ObjectStore backend."""

from __future__ import annotations

import pytest

from aether_data.storage import LocalObjectStore, MemoryObjectStore, ObjectStore


@pytest.fixture(params=["memory", "local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path) -> ObjectStore:
    if request.param == "memory":
        return MemoryObjectStore()
    if request.param == "local":
        return LocalObjectStore(tmp_path / "objects")
    # s3_store (tests/conftest.py) gives a fresh bucket on the moto server for each test.
    return request.getfixturevalue("s3_store")
