"""Content-defined chunking: a small edit to a large file stores a few new chunks, not the file."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from aether_data.storage import LocalObjectStore, MemoryObjectStore, ObjectStore

MiB = 1 << 20


def _stored_bytes(store: ObjectStore) -> int:
    return sum(stat.stored_size for stat in store.iter_objects())


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["local", "memory"])
def test_one_mib_overwrite_in_256_mib_file_adds_at_most_4_mib(backend: str, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "o") if backend == "local" else MemoryObjectStore()
    rnd = random.Random(256)
    original = bytearray(b"".join(rnd.randbytes(MiB) for _ in range(256)))
    first = store.put_stream(io.BytesIO(original))
    before = _stored_bytes(store)
    assert before >= 256 * MiB  # incompressible: stored at full size once

    middle = 128 * MiB + 12345
    original[middle : middle + MiB] = random.Random(1).randbytes(MiB)
    second = store.put_stream(io.BytesIO(original))
    added = _stored_bytes(store) - before

    assert second.id != first.id
    assert added <= 4 * MiB, f"a 1 MiB overwrite stored {added / MiB:.2f} MiB of new objects"
    assert store.read_range(second.id, middle - 10, MiB + 20) == bytes(
        original[middle - 10 : middle + MiB + 10]
    )


def test_identical_large_file_stores_nothing_new(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "o")
    data = random.Random(3).randbytes(8 * MiB)
    store.put_bytes(data)
    before = _stored_bytes(store)
    store.put_bytes(data)
    assert _stored_bytes(store) == before
