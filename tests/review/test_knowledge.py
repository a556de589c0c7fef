"""Knowledge entries: limits, compare-and-set under concurrency, prefixes."""

from __future__ import annotations

import threading

import pytest

from aether_data.catalog import KvScope, SqlCatalog
from aether_data.errors import Invalid, NotFound, PreconditionFailed, TooLarge
from aether_data.review import Knowledge

S = KvScope.SESSION


@pytest.fixture
def kv(catalog: SqlCatalog) -> Knowledge:
    return Knowledge(catalog, max_value_bytes=1024)


def put(kv: Knowledge, key: str, value: bytes, **kw) -> int:
    return kv.put(S, "s-1", key, value, author="ada", tenant="t", **kw).version


def test_round_trip_versions_and_metadata(kv: Knowledge) -> None:
    assert put(kv, "run/last", b"41") == 1
    assert put(kv, "run/last", b"42") == 2
    got = kv.get(S, "s-1", "run/last")
    assert (got.value, got.version, got.size, got.author) == (b"42", 2, 2, "ada")
    assert got.created_at <= got.updated_at
    with pytest.raises(NotFound):
        kv.get(KvScope.SOURCE, "s-1", "run/last")  # a source's entries are apart


def test_compare_and_set(kv: Knowledge) -> None:
    assert put(kv, "k", b"a", expected_version=0) == 1
    with pytest.raises(PreconditionFailed):
        put(kv, "k", b"b", expected_version=0)  # create-only, but it exists
    with pytest.raises(PreconditionFailed):
        put(kv, "k", b"b", expected_version=5)
    assert put(kv, "k", b"b", expected_version=1) == 2
    with pytest.raises(PreconditionFailed):
        kv.delete(S, "s-1", "k", expected_version=1)
    kv.delete(S, "s-1", "k", expected_version=2)
    with pytest.raises(NotFound):
        kv.delete(S, "s-1", "k")


def test_eight_concurrent_incrementers_lose_no_update(kv: Knowledge) -> None:
    put(kv, "counter", b"0")
    barrier = threading.Barrier(8)

    def increment_ten_times() -> None:
        barrier.wait()
        done = 0
        while done < 10:
            current = kv.get(S, "s-1", "counter")
            try:
                put(
                    kv,
                    "counter",
                    b"%d" % (int(current.value) + 1),
                    expected_version=current.version,
                )
            except PreconditionFailed:
                continue
            done += 1

    threads = [threading.Thread(target=increment_ten_times) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = kv.get(S, "s-1", "counter")
    assert (final.value, final.version) == (b"80", 81)


def test_limits_and_bad_keys(kv: Knowledge) -> None:
    with pytest.raises(TooLarge):
        put(kv, "big", bytes(1025))
    put(kv, "just-fits", bytes(1024))
    for key in ["", "/", "//", "a\x00b", "tab\there", "x" * 513]:
        with pytest.raises(Invalid):
            put(kv, key, b"v")
    with pytest.raises(Invalid):
        put(kv, "k", b"v", expected_version=-1)
    with pytest.raises(Invalid):
        kv.put(S, "s-1", "k", "text", author="ada", tenant="t")  # type: ignore[arg-type]


def test_list_and_delete_by_prefix(kv: Knowledge) -> None:
    for key in ["a/1", "a/2", "a/3", "a_b", "a%c", "b/1"]:
        put(kv, key, key.encode())
    page = kv.list(S, "s-1", prefix="a/", limit=2)
    rest = kv.list(S, "s-1", prefix="a/", limit=2, cursor=page.next_cursor)
    assert [e.key for e in page.items + rest.items] == ["a/1", "a/2", "a/3"]
    assert rest.next_cursor is None
    assert [e.key for e in kv.list(S, "s-1", prefix="a_").items] == ["a_b"]  # literal _
    assert [e.key for e in kv.list(S, "s-1", prefix="a%").items] == ["a%c"]  # literal %
    assert kv.delete_prefix(S, "s-1", "a/") == 3
    assert [e.key for e in kv.list(S, "s-1").items] == ["a%c", "a_b", "b/1"]
    assert kv.delete_prefix(S, "s-1", "") == 3
