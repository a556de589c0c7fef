"""Large folders are paged; updating a few names rebuilds a page or two, and the result is the
same tree (same bytes, same id) as building the folder from scratch."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aether_data.errors import Corrupt, Invalid
from aether_data.ids import object_id_of
from aether_data.objects import EntryKind, Kind, Tree, TreeEntry, pack
from aether_data.objects import tree as tree_module
from aether_data.storage import MemoryObjectStore
from aether_data.workspace import fsck


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 2-8 entries, cut after about one name in four, so tests stay small."""
    monkeypatch.setattr(tree_module, "PAGE_MIN", 2)
    monkeypatch.setattr(tree_module, "PAGE_MAX", 8)
    monkeypatch.setattr(tree_module, "_CUT_MASK", 0x3)


def entry(name: str, content: str = "x") -> TreeEntry:
    return TreeEntry(name, EntryKind.FILE, object_id_of(content.encode()), len(content))


names = st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), unique=True, max_size=60)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=names, removed=st.data(), added=names)
def test_updated_equals_built_from_scratch(small_pages, before, removed, added) -> None:
    tree = Tree(entry(n) for n in before)
    gone = removed.draw(st.lists(st.sampled_from(before), unique=True) if before else st.just([]))
    changes = {n: None for n in gone} | {n: entry(n, "new") for n in added}
    expected = {n: entry(n) for n in before if n not in gone} | {n: entry(n, "new") for n in added}
    updated = tree.updated(changes)
    scratch = Tree(expected.values())
    assert updated.id == scratch.id
    assert updated.encoded == scratch.encoded
    assert [e.name for e in updated] == sorted(expected, key=str.encode)
    assert all(updated.get(n) == expected[n] for n in expected)


def test_big_folders_are_paged_and_small_ones_are_not(small_pages) -> None:
    assert Tree(entry(f"f{i}") for i in range(8)).pages is None
    big = Tree(entry(f"f{i:03d}") for i in range(100))
    assert big.pages is not None
    assert all(2 <= len(p) <= 8 for p in big.pages[:-1])
    assert len(big) == 100
    assert "f050" in big
    assert "nope" not in big


def test_one_change_rebuilds_few_pages(small_pages) -> None:
    big = Tree(entry(f"f{i:04d}") for i in range(1000))
    updated = big.updated({"f0500": entry("f0500", "changed")})
    old_ids = {p.id for p in big.pages}
    new_pages = [p for p in updated.pages if p.id not in old_ids]
    assert len(new_pages) <= 2


def test_store_round_trip_children_and_fsck(small_pages) -> None:
    store = MemoryObjectStore()
    blob = store.put_bytes(b"x")
    big = Tree(TreeEntry(f"f{i:03d}", EntryKind.FILE, blob, 1) for i in range(100))
    tree_id = store.put_tree(big)
    store._trees.clear()
    loaded = store.get_tree(tree_id)
    assert loaded == big
    assert loaded.get("f042") is not None
    assert store.children(tree_id) == [p.id for p in big.pages]
    assert fsck(store, [tree_id]).ok
    store.delete(big.pages[3].id)
    problems = fsck(store, [tree_id]).problems
    assert [p.problem for p in problems] == ["missing"]


def test_non_canonical_paging_is_refused(small_pages) -> None:
    store = MemoryObjectStore()
    big = Tree(entry(f"f{i:03d}") for i in range(100))
    for page in big.pages:
        store.put_tree(page)
    # one page made of two canonical pages glued together
    glued = Tree.from_trusted_pages([Tree._plain([*big.pages[0], *big.pages[1]]), *big.pages[2:]])
    store.put_tree(glued)
    store._trees.clear()
    with pytest.raises((Invalid, Corrupt)):
        store.get_tree(glued.id)


def test_paged_tree_bytes_do_not_decode_without_the_store(small_pages) -> None:
    big = Tree(entry(f"f{i:03d}") for i in range(100))
    with pytest.raises(Invalid, match="paged"):
        Tree.decode(big.encoded)
    assert pack(Kind.TREE, big.encoded)
