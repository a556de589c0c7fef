"""Content-defined chunking: a small edit to a large file stores a few new chunks, not the file."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from aether_data.storage import LocalObjectStore, ObjectStore

MiB = 1 << 20


def _stored_bytes(store: ObjectStore) -> int:
    return sum(stat.stored_size for stat in store.iter_objects())


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_mib_overwrite_in_256_mib_file_adds_at_most_4_mib(seed: int, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "o")
    rnd = random.Random(seed)
    original = b"".join(rnd.randbytes(MiB) for _ in range(256))
    first = store.put_stream(io.BytesIO(original))
    before = _stored_bytes(store)
    assert before >= 256 * MiB  # incompressible: stored at full size once

    offset = rnd.randrange(255 * MiB)
    edited = bytearray(original)
    edited[offset : offset + MiB] = rnd.randbytes(MiB)
    second = store.put_stream(io.BytesIO(edited))
    added = _stored_bytes(store) - before

    assert second.id != first.id
    assert added <= 4 * MiB, f"a 1 MiB overwrite stored {added / MiB:.2f} MiB of new objects"
    assert store.read_range(second.id, offset - 10, MiB + 20) == bytes(
        edited[offset - 10 : offset + MiB + 10]
    )
    assert store.read_bytes(first.id) == original


def test_identical_large_file_stores_nothing_new(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "o")
    data = random.Random(3).randbytes(8 * MiB)
    store.put_bytes(data)
    before = _stored_bytes(store)
    store.put_bytes(data)
    assert _stored_bytes(store) == before
