"""Tree diffs: every status, folders as containers, renames by content, cost, properties."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from _trees import CountingStore, FileSpec, build_tree, flatten, make_tree
from hypothesis import given, settings
from hypothesis import strategies as st

from aether_data.errors import Invalid
from aether_data.ids import ObjectId
from aether_data.objects import EntryKind, Tree, TreeEntry
from aether_data.storage import MemoryObjectStore, ObjectStore
from aether_data.workspace.diff import Change, ChangeStatus, diff_summary, diff_trees

ADDED, REMOVED = ChangeStatus.ADDED, ChangeStatus.REMOVED
MODIFIED, RENAMED = ChangeStatus.MODIFIED, ChangeStatus.RENAMED


def apply_changes(flat: Mapping[str, TreeEntry], changes: list[Change]) -> dict[str, TreeEntry]:
    """Replay a diff on a flat listing."""
    result = dict(flat)
    for change in changes:
        if change.status is RENAMED:
            assert change.old_path is not None
            del result[change.old_path]
        if change.status is REMOVED:
            del result[change.path]
        else:
            assert change.new is not None
            result[change.path] = change.new
    return result


def shape(changes: list[Change]) -> list[tuple]:
    return [(c.status, c.path, c.old_path) for c in changes]


@pytest.fixture
def store() -> MemoryObjectStore:
    return MemoryObjectStore()


# ----------------------------------------------------------------- statuses
def test_added_removed_and_modified_files(store: ObjectStore) -> None:
    old = make_tree(store, {"keep.txt": b"same", "gone.txt": b"bye", "edit.txt": b"v1"})
    new = make_tree(store, {"keep.txt": b"same", "new.txt": b"hi", "edit.txt": b"v2"})
    changes = diff_trees(store, old, new)
    assert shape(changes) == [
        (MODIFIED, "edit.txt", None),
        (REMOVED, "gone.txt", None),
        (ADDED, "new.txt", None),
    ]
    edit = changes[0]
    assert edit.old is not None
    assert edit.new is not None
    assert (edit.old.id, edit.new.id) == (store.put_bytes(b"v1"), store.put_bytes(b"v2"))
    assert (edit.old.size, edit.new.size) == (2, 2)
    assert changes[1].new is None
    assert changes[2].old is None


def test_kind_change_is_modified_with_both_kinds(store: ObjectStore) -> None:
    old = make_tree(store, {"run": b"echo", "ref": b"target", "same": b"x"})
    new = make_tree(
        store,
        {
            "run": (EntryKind.EXEC, b"echo"),
            "ref": (EntryKind.LINK, b"target"),
            "same": b"x",
        },
    )
    changes = diff_trees(store, old, new)
    assert shape(changes) == [(MODIFIED, "ref", None), (MODIFIED, "run", None)]
    assert all(c.kind_changed for c in changes)
    assert [(c.old.kind, c.new.kind) for c in changes if c.old and c.new] == [
        (EntryKind.FILE, EntryKind.LINK),
        (EntryKind.FILE, EntryKind.EXEC),
    ]


def test_none_means_empty(store: ObjectStore) -> None:
    tree = make_tree(store, {"a/b.txt": b"1", "c.txt": b"2"})
    assert shape(diff_trees(store, None, tree)) == [
        (ADDED, "a/b.txt", None),
        (ADDED, "c.txt", None),
    ]
    assert shape(diff_trees(store, tree, None)) == [
        (REMOVED, "a/b.txt", None),
        (REMOVED, "c.txt", None),
    ]
    assert diff_trees(store, None, None) == []
    assert diff_trees(store, None, make_tree(store, {})) == []


def test_identical_trees_have_no_changes(store: ObjectStore) -> None:
    tree = make_tree(store, {"a/b.txt": b"1"})
    assert diff_trees(store, tree, tree) == []


# ----------------------------------------------------------------- folders
def test_nested_changes_report_full_paths(store: ObjectStore) -> None:
    old = make_tree(store, {"a/b/c/d.txt": b"1", "a/b/e.txt": b"2", "z.txt": b"3"})
    new = make_tree(store, {"a/b/c/d.txt": b"changed", "a/b/e.txt": b"2", "z.txt": b"3"})
    assert shape(diff_trees(store, old, new)) == [(MODIFIED, "a/b/c/d.txt", None)]


def test_added_folder_reports_its_files(store: ObjectStore) -> None:
    old = make_tree(store, {"top.txt": b"t"})
    new = make_tree(store, {"top.txt": b"t", "data/raw/1.csv": b"1", "data/2.csv": b"2"})
    assert shape(diff_trees(store, old, new)) == [
        (ADDED, "data/2.csv", None),
        (ADDED, "data/raw/1.csv", None),
    ]


def test_removed_folder_reports_its_files(store: ObjectStore) -> None:
    old = make_tree(store, {"top.txt": b"t", "data/raw/1.csv": b"1", "data/2.csv": b"2"})
    new = make_tree(store, {"top.txt": b"t"})
    assert shape(diff_trees(store, old, new)) == [
        (REMOVED, "data/2.csv", None),
        (REMOVED, "data/raw/1.csv", None),
    ]


def test_folder_replaced_by_file_and_back(store: ObjectStore) -> None:
    folder = make_tree(store, {"a/x": b"1", "a/y/z": b"2"})
    file = make_tree(store, {"a": b"now a file"})
    assert shape(diff_trees(store, folder, file)) == [
        (ADDED, "a", None),
        (REMOVED, "a/x", None),
        (REMOVED, "a/y/z", None),
    ]
    assert shape(diff_trees(store, file, folder)) == [
        (REMOVED, "a", None),
        (ADDED, "a/x", None),
        (ADDED, "a/y/z", None),
    ]


def test_empty_folders_are_not_changes(store: ObjectStore) -> None:
    old = make_tree(store, {"a.txt": b"1"})
    empty = store.put_tree(Tree())
    root = store.get_tree(old)
    new = store.put_tree(Tree([*root, TreeEntry("empty", EntryKind.DIR, empty)]))
    assert diff_trees(store, old, new) == []


def test_output_is_sorted_by_path(store: ObjectStore) -> None:
    old = make_tree(store, {"b/1": b"1", "a.txt": b"2", "c": b"3"})
    new = make_tree(store, {"b/1": b"9", "a/x": b"4", "d": b"3"})
    paths = [c.path for c in diff_trees(store, old, new)]
    assert paths == sorted(paths)


# ----------------------------------------------------------------- prefix
def test_prefix_restricts_to_a_folder(store: ObjectStore) -> None:
    old = make_tree(store, {"a/x": b"1", "a/sub/y": b"2", "b/x": b"3"})
    new = make_tree(store, {"a/x": b"9", "a/sub/y": b"2", "b/x": b"9", "a/new": b"n"})
    assert shape(diff_trees(store, old, new, prefix="a")) == [
        (ADDED, "a/new", None),
        (MODIFIED, "a/x", None),
    ]
    assert shape(diff_trees(store, old, new, prefix="a/")) == shape(
        diff_trees(store, old, new, prefix="a")
    )
    assert diff_trees(store, old, new, prefix="a/sub") == []
    assert shape(diff_trees(store, old, new, prefix="b/x")) == [(MODIFIED, "b/x", None)]


def test_prefix_missing_on_one_side(store: ObjectStore) -> None:
    old = make_tree(store, {"keep": b"1"})
    new = make_tree(store, {"keep": b"1", "a/b/c": b"2"})
    assert shape(diff_trees(store, old, new, prefix="a/b")) == [(ADDED, "a/b/c", None)]
    assert shape(diff_trees(store, new, old, prefix="a")) == [(REMOVED, "a/b/c", None)]
    assert diff_trees(store, old, new, prefix="nowhere/at/all") == []
    assert diff_trees(store, old, new, prefix="keep/under/a/file") == []


def test_bad_prefix_is_invalid(store: ObjectStore) -> None:
    tree = make_tree(store, {"a": b"1"})
    with pytest.raises(Invalid):
        diff_trees(store, tree, tree, prefix="../etc")


# ----------------------------------------------------------------- renames
def test_rename_by_content(store: ObjectStore) -> None:
    old = make_tree(store, {"old/name.csv": b"rows", "other": b"o"})
    new = make_tree(store, {"new/place.csv": b"rows", "other": b"o"})
    (change,) = diff_trees(store, old, new)
    assert shape([change]) == [(RENAMED, "new/place.csv", "old/name.csv")]
    assert change.old is not None
    assert change.new is not None
    assert change.old.id == change.new.id == store.put_bytes(b"rows")
    assert (change.old.name, change.new.name) == ("name.csv", "place.csv")


def test_renames_can_be_turned_off(store: ObjectStore) -> None:
    old = make_tree(store, {"a": b"rows"})
    new = make_tree(store, {"b": b"rows"})
    assert shape(diff_trees(store, old, new, detect_renames=False)) == [
        (REMOVED, "a", None),
        (ADDED, "b", None),
    ]


def test_rename_beside_a_modified_twin(store: ObjectStore) -> None:
    # Two files shared one content; one moved, the other was edited: only the move is a rename.
    old = make_tree(store, {"a.txt": b"same", "b.txt": b"same"})
    new = make_tree(store, {"c.txt": b"same", "b.txt": b"edited"})
    assert shape(diff_trees(store, old, new)) == [
        (MODIFIED, "b.txt", None),
        (RENAMED, "c.txt", "a.txt"),
    ]


def test_several_candidates_pair_in_path_order(store: ObjectStore) -> None:
    old = make_tree(store, {"z1": b"dup", "a1": b"dup", "m1": b"dup"})
    new = make_tree(store, {"b2": b"dup", "y2": b"dup"})
    assert shape(diff_trees(store, old, new)) == [
        (RENAMED, "b2", "a1"),
        (RENAMED, "y2", "m1"),
        (REMOVED, "z1", None),
    ]


def test_rename_needs_same_kind(store: ObjectStore) -> None:
    old = make_tree(store, {"tool": b"#!/bin/sh"})
    new = make_tree(store, {"bin/tool": (EntryKind.EXEC, b"#!/bin/sh")})
    assert shape(diff_trees(store, old, new)) == [
        (ADDED, "bin/tool", None),
        (REMOVED, "tool", None),
    ]


def test_links_rename_too(store: ObjectStore) -> None:
    old = make_tree(store, {"l1": (EntryKind.LINK, b"target")})
    new = make_tree(store, {"l2": (EntryKind.LINK, b"target")})
    assert shape(diff_trees(store, old, new)) == [(RENAMED, "l2", "l1")]


def test_empty_files_never_pair(store: ObjectStore) -> None:
    old = make_tree(store, {"a/__init__.py": b""})
    new = make_tree(store, {"b/__init__.py": b""})
    assert shape(diff_trees(store, old, new)) == [
        (REMOVED, "a/__init__.py", None),
        (ADDED, "b/__init__.py", None),
    ]


def test_folder_move_is_renames_of_its_files(store: ObjectStore) -> None:
    old = make_tree(store, {"src/a.py": b"a", "src/pkg/b.py": b"b"})
    new = make_tree(store, {"lib/a.py": b"a", "lib/pkg/b.py": b"b"})
    assert shape(diff_trees(store, old, new)) == [
        (RENAMED, "lib/a.py", "src/a.py"),
        (RENAMED, "lib/pkg/b.py", "src/pkg/b.py"),
    ]


# ----------------------------------------------------------------- summary
def test_summary_counts_every_status(store: ObjectStore) -> None:
    old = make_tree(store, {"mv": b"m", "rm": b"r", "ed": b"1"})
    new = make_tree(store, {"moved": b"m", "ed": b"2", "add1": b"x", "add2": b"y"})
    summary = diff_summary(diff_trees(store, old, new))
    assert summary == {"added": 2, "removed": 1, "modified": 1, "renamed": 1}
    assert diff_summary([]) == {"added": 0, "removed": 0, "modified": 0, "renamed": 0}


# ----------------------------------------------------------------- cost
def _wide_tree(store: ObjectStore, edited: bytes | None = None) -> ObjectId:
    # 10 x 10 folders x 50 files = 5,000 files, three levels deep.
    files: dict[str, FileSpec] = {
        f"d{i}/e{j}/f{k}.csv": f"{i},{j},{k}".encode()
        for i in range(10)
        for j in range(10)
        for k in range(50)
    }
    if edited is not None:
        files["d3/e7/f42.csv"] = edited
    return make_tree(store, files)


def test_cost_follows_the_changed_path_only() -> None:
    store = CountingStore()
    old, new = _wide_tree(store), _wide_tree(store, b"edited")
    store.tree_reads = 0
    assert shape(diff_trees(store, old, new)) == [(MODIFIED, "d3/e7/f42.csv", None)]
    assert store.tree_reads == 6  # root, d3 and d3/e7, on each side
    store.tree_reads = 0
    assert diff_trees(store, old, old) == []
    assert store.tree_reads == 0


def test_cost_with_a_prefix_reads_the_spine() -> None:
    store = CountingStore()
    old, new = _wide_tree(store), _wide_tree(store, b"edited")
    store.tree_reads = 0
    assert len(diff_trees(store, old, new, prefix="d3/e7")) == 1
    assert store.tree_reads == 6
    store.tree_reads = 0
    assert diff_trees(store, old, new, prefix="d4") == []
    assert store.tree_reads == 2  # the roots; d4 is equal by id on both sides


def test_very_deep_paths(store: ObjectStore) -> None:
    # Deeper than Python's recursion limit allows for a recursive walk.
    deep = "/".join(["d"] * 1000)
    old = make_tree(store, {f"{deep}/f": b"1"})
    new = make_tree(store, {f"{deep}/f": b"2"})
    assert shape(diff_trees(store, old, new)) == [(MODIFIED, f"{deep}/f", None)]


# ----------------------------------------------------------------- properties
_NAMES = st.sampled_from(["a", "b", "c"])
_PATHS = st.lists(_NAMES, min_size=1, max_size=3).map("/".join)
_SPECS = st.one_of(
    st.sampled_from([b"1", b"2", b"3", b""]),
    st.tuples(st.sampled_from([EntryKind.EXEC, EntryKind.LINK]), st.sampled_from([b"1", b"2"])),
)


def _consistent(files: dict[str, FileSpec]) -> dict[str, FileSpec]:
    """Drop paths that would need a file and a folder at one path (first come, first kept)."""
    kept: dict[str, FileSpec] = {}
    for path, spec in files.items():
        clash = any(p == path or p.startswith(path + "/") or path.startswith(p + "/") for p in kept)
        if not clash:
            kept[path] = spec
    return kept


FILE_SETS = st.dictionaries(_PATHS, _SPECS, max_size=10).map(_consistent)


@settings(max_examples=150, deadline=None)
@given(FILE_SETS)
def test_property_diff_with_itself_is_empty(files: dict[str, FileSpec]) -> None:
    store = MemoryObjectStore()
    tree = make_tree(store, files)
    assert diff_trees(store, tree, tree) == []
    assert diff_trees(store, tree, make_tree(store, dict(reversed(files.items())))) == []


@settings(max_examples=300, deadline=None)
@given(FILE_SETS, FILE_SETS, st.booleans())
def test_property_replaying_the_diff_rebuilds_the_new_tree(
    a: dict[str, FileSpec], b: dict[str, FileSpec], renames: bool
) -> None:
    store = MemoryObjectStore()
    old, new = make_tree(store, a), make_tree(store, b)
    changes = diff_trees(store, old, new, detect_renames=renames)
    assert build_tree(store, apply_changes(flatten(store, old), changes)) == new
    assert [c.path for c in changes] == sorted(c.path for c in changes)


@settings(max_examples=300, deadline=None)
@given(FILE_SETS, FILE_SETS)
def test_property_diff_matches_flat_comparison(
    a: dict[str, FileSpec], b: dict[str, FileSpec]
) -> None:
    store = MemoryObjectStore()
    old, new = make_tree(store, a), make_tree(store, b)
    before, after = flatten(store, old), flatten(store, new)
    expected = {
        path: (before.get(path), after.get(path))
        for path in before.keys() | after.keys()
        if before.get(path) != after.get(path)
    }
    changes = diff_trees(store, old, new, detect_renames=False)
    assert {c.path: (c.old, c.new) for c in changes} == expected
    renamed = diff_trees(store, old, new)
    assert len(renamed) == len(changes) - sum(c.status is RENAMED for c in renamed)
