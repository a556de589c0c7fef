"""Kept dataset diffs: a diff is computed once for the requests that ask for the same one,
read by several threads at once, bounded in count, rows and idle time, and closed once it
has left the cache and its last reader is done."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aether_data.datasets import DatasetDiff, diff
from aether_data.service import Services, open_services
from aether_data.service import _dataset_diff as engine_calls
from aether_data.service._diff_cache import DiffCache
from aether_data.settings import Settings


def parquet(rows: list[dict]) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), out)
    return out.getvalue()


BEFORE = [{"k": i, "v": i, "w": i} for i in range(1000)]
AFTER = [{"k": i, "v": i + (i % 3 == 0), "w": i} for i in range(1000)]  # 334 changed rows


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    with open_services(Settings.for_home(tmp_path / "home")) as opened:
        yield opened


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    real = engine_calls.diff

    def counting(*args: Any, **options: Any) -> Any:
        seen.append(options)
        return real(*args, **options)

    monkeypatch.setattr(engine_calls, "diff", counting)
    return seen


def _session(services: Services) -> str:
    ws = services.workspace()
    sid = ws.create_session().id
    ws.write(sid, "t.parquet", parquet(BEFORE))
    ws.checkpoint(sid, "v1")
    ws.write(sid, "t.parquet", parquet(AFTER))
    return sid


def test_pages_and_a_download_of_one_diff_compute_it_once(
    services: Services, calls: list[dict[str, Any]]
) -> None:
    sid = _session(services)
    api = services.datasets_api()
    first = api.diff_dataset(sid, "t.parquet", against="v1", key="k", limit=100)
    second = api.diff_dataset(sid, "t.parquet", against="v1", key="k", offset=100, limit=300)
    out = io.BytesIO()
    api.download_dataset_diff(sid, "t.parquet", out, against="v1", key="k", format="arrow")
    assert len(calls) == 1
    keys = [r["k"] for r in first.rows + second.rows]
    assert keys == list(range(0, 1000, 3))
    assert second.next_offset is None
    assert first.next_offset == 100
    streamed = pa.ipc.open_stream(out.getvalue()).read_all()
    assert streamed.column("k").to_pylist() == keys


def test_another_key_tolerance_or_side_is_another_diff(
    services: Services, calls: list[dict[str, Any]]
) -> None:
    sid = _session(services)
    api = services.datasets_api()
    assert api.diff_dataset(sid, "t.parquet", against="v1", key="k").summary.changed == 334
    loose = api.diff_dataset(sid, "t.parquet", against="v1", key="k", tolerance={"v": 1.0})
    assert loose.summary.changed == 0
    by_pair = api.diff_dataset(sid, "t.parquet", against="v1", key=["k", "w"])
    assert by_pair.summary.changed == 334
    api.diff_dataset(sid, "t.parquet", against="v1", key="k", tolerance={"v": 1.0})
    assert len(calls) == 3
    ws = services.workspace()
    ws.write(sid, "t.parquet", parquet(BEFORE))
    assert api.diff_dataset(sid, "t.parquet", against="v1", key="k").summary.changed == 0
    assert len(calls) == 4


def test_threads_read_one_kept_diff_at_once(
    services: Services, calls: list[dict[str, Any]]
) -> None:
    sid = _session(services)
    api = services.datasets_api()
    api.diff_dataset(sid, "t.parquet", against="v1", key="k", limit=0)
    pages: dict[int, list[int]] = {}
    failures: list[BaseException] = []

    def read(offset: int) -> None:
        try:
            for _ in range(5):
                page = api.diff_dataset(
                    sid, "t.parquet", against="v1", key="k", offset=offset, limit=10
                )
                pages[offset] = [r["k"] for r in page.rows]
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=read, args=(offset,)) for offset in range(0, 80, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(calls) == 1
    for offset, keys in pages.items():
        assert keys == list(range(offset * 3, (offset + 10) * 3, 3))


def _files(tmp_path: Path, changed: int) -> tuple[Path, Path]:
    a, b = tmp_path / f"a{changed}.parquet", tmp_path / f"b{changed}.parquet"
    pq.write_table(pa.table({"k": list(range(10)), "v": [0] * 10}), a)
    pq.write_table(pa.table({"k": list(range(10)), "v": [1] * changed + [0] * (10 - changed)}), b)
    return a, b


def _computing(tmp_path: Path, changed: int, made: list[DatasetDiff]) -> Any:
    def compute() -> DatasetDiff:
        made.append(diff(*_files(tmp_path, changed), key="k"))
        return made[-1]

    return compute


def test_the_oldest_unused_diff_leaves_first_and_a_leased_one_stays_readable(
    tmp_path: Path,
) -> None:
    cache, made = DiffCache(entries=2), []
    first = cache.lease("one", _computing(tmp_path, 1, made))
    cache.lease("two", _computing(tmp_path, 2, made)).release()
    cache.lease("three", _computing(tmp_path, 3, made)).release()
    assert len(cache) == 2
    assert len(made) == 3
    assert first.result.rows().num_rows == 1  # left the cache, still leased: still open
    assert made[0]._con is not None
    first.release()
    assert made[0]._con is None  # its last share is gone: closed
    first.release()  # twice is harmless
    cache.lease("two", _computing(tmp_path, 2, made)).release()
    assert len(made) == 3  # "two" was still kept
    cache.close()
    assert all(result._con is None for result in made)


def test_a_diff_with_more_rows_than_the_bound_is_not_kept(tmp_path: Path) -> None:
    cache, made = DiffCache(rows=3), []
    for _ in range(2):
        lease = cache.lease("big", _computing(tmp_path, 5, made))
        assert lease.result.summary.changed == 5
        lease.release()
    assert len(made) == 2
    assert len(cache) == 0
    assert all(result._con is None for result in made)
    small = cache.lease("small", _computing(tmp_path, 2, made))
    small.release()
    assert len(cache) == 1


def test_a_cache_of_no_entries_keeps_nothing(tmp_path: Path) -> None:
    cache, made = DiffCache(entries=0), []
    for _ in range(2):
        lease = cache.lease("one", _computing(tmp_path, 1, made))
        assert lease.result.summary.changed == 1
        lease.release()
    assert len(made) == 2
    assert len(cache) == 0
    assert all(result._con is None for result in made)


def test_room_is_made_by_rows_too(tmp_path: Path) -> None:
    cache, made = DiffCache(rows=5), []
    cache.lease("three", _computing(tmp_path, 3, made)).release()
    cache.lease("two", _computing(tmp_path, 2, made)).release()
    assert len(cache) == 2
    cache.lease("four", _computing(tmp_path, 4, made)).release()  # 3 + 2 + 4 > 5
    assert len(cache) == 1
    assert made[0]._con is None
    assert made[1]._con is None


def test_an_idle_diff_is_dropped(tmp_path: Path) -> None:
    cache, made = DiffCache(idle=0.0), []
    cache.lease("one", _computing(tmp_path, 1, made)).release()
    cache.lease("one", _computing(tmp_path, 1, made)).release()
    assert len(made) == 2
    assert made[0]._con is None


def test_closing_the_services_closes_the_kept_diffs(tmp_path: Path) -> None:
    services = open_services(Settings.for_home(tmp_path / "home"))
    sid = _session(services)
    services.datasets_api().diff_dataset(sid, "t.parquet", against="v1", key="k")
    assert len(services.dataset_diffs.cache) == 1
    services.close()
    assert len(services.dataset_diffs.cache) == 0
    assert list((tmp_path / "home" / "tmp").iterdir()) == []
