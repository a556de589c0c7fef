"""The small-file payload cache: bounded by bytes, least recently used out first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aether_data.ids import object_id_of
from aether_data.storage._cache import BlobCache


def oid(n: int) -> str:
    return object_id_of(str(n).encode())


def test_least_recently_used_goes_first() -> None:
    cache = BlobCache(budget=30, largest=10)
    for n in range(3):
        cache.put(oid(n), bytes(10))
    assert cache.get(oid(0)) == bytes(10)  # 0 is now the most recent
    cache.put(oid(3), bytes(10))
    assert cache.get(oid(1)) is None
    assert [cache.get(oid(n)) is not None for n in (0, 2, 3)] == [True, True, True]
    assert cache.size == 30


def test_payloads_over_the_largest_are_not_kept() -> None:
    cache = BlobCache(budget=100, largest=10)
    cache.put(oid(0), bytes(11))
    assert cache.get(oid(0)) is None
    assert len(cache) == 0


def test_discard_and_a_zero_budget() -> None:
    cache = BlobCache(budget=100, largest=10)
    cache.put(oid(0), b"abc")
    cache.discard(oid(0))
    cache.discard(oid(1))  # absent: harmless
    assert (cache.get(oid(0)), cache.size) == (None, 0)
    off = BlobCache(budget=0, largest=10)
    off.put(oid(0), b"abc")
    assert off.get(oid(0)) is None


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 12), st.booleans()), max_size=80))
def test_size_is_the_sum_kept_and_stays_in_budget(ops: list[tuple[int, int, bool]]) -> None:
    cache = BlobCache(budget=40, largest=12)
    for n, size, drop in ops:
        if drop:
            cache.discard(oid(n))
        else:
            cache.put(oid(n), bytes([n]) * size)
        kept = {k: cache.get(oid(k)) for k in range(21)}
        assert cache.size == sum(len(v) for v in kept.values() if v is not None) <= 40
        assert all(v == bytes([k]) * len(v) for k, v in kept.items() if v is not None)
