"""Three-way tree merge: clean cases, every conflict kind, resolutions, cost, properties."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from _trees import CountingStore, FileSpec, build_tree, flatten, make_tree
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from aether_data.errors import Conflict, Invalid, NotFound
from aether_data.ids import ObjectId, object_id_of
from aether_data.objects import EntryKind, Tree, TreeEntry
from aether_data.storage import MemoryObjectStore, ObjectStore
from aether_data.workspace.merge import (
    ConflictKind,
    MergeConflict,
    MergeResult,
    apply_resolutions,
    merge_trees,
)


def contents(store: ObjectStore, tree_id: ObjectId | None) -> dict[str, bytes]:
    return {path: store.read_bytes(e.id) for path, e in flatten(store, tree_id).items()}


def conflicts(result: MergeResult) -> list[tuple[str, ConflictKind]]:
    return [(c.path, c.kind) for c in result.conflicts]


def entry(
    store: ObjectStore, name: str, data: bytes, kind: EntryKind = EntryKind.FILE
) -> TreeEntry:
    return TreeEntry(name, kind, store.put_bytes(data), len(data))


@pytest.fixture
def store() -> MemoryObjectStore:
    return MemoryObjectStore()


BASE = {"a.txt": b"a", "b.txt": b"b", "dir/x": b"x", "dir/sub/y": b"y"}


def merge(store: ObjectStore, base: dict, ours: dict, theirs: dict) -> MergeResult:
    return merge_trees(
        store, make_tree(store, base), make_tree(store, ours), make_tree(store, theirs)
    )


# ----------------------------------------------------------------- clean merges
def test_one_side_unchanged_takes_the_other(store: ObjectStore) -> None:
    base = make_tree(store, BASE)
    changed = make_tree(store, {**BASE, "a.txt": b"new"})
    assert merge_trees(store, base, base, changed).tree == changed
    assert merge_trees(store, base, changed, base).tree == changed
    assert merge_trees(store, base, changed, changed).tree == changed


def test_disjoint_changes_both_land(store: ObjectStore) -> None:
    ours = {**BASE, "a.txt": b"ours"}
    del ours["dir/x"]
    theirs = {**BASE, "dir/sub/y": b"theirs", "new/file": b"n"}
    result = merge(store, BASE, ours, theirs)
    assert result.clean
    assert contents(store, result.tree) == {
        "a.txt": b"ours",
        "b.txt": b"b",
        "dir/sub/y": b"theirs",
        "new/file": b"n",
    }
    assert result.merged == ["dir/sub/y", "new/file"]


def test_same_change_on_both_sides_is_taken_once(store: ObjectStore) -> None:
    both = {**BASE, "a.txt": b"same edit", "added": b"same add"}
    del both["b.txt"]
    ours = {**both, "only-ours": b"o"}
    result = merge(store, BASE, ours, both)
    assert result.clean
    assert contents(store, result.tree) == ours
    assert result.merged == []


def test_both_delete_and_both_add_same(store: ObjectStore) -> None:
    side = {"a.txt": b"a", "dir/sub/y": b"y", "dir/z": b"z"}
    result = merge(store, BASE, side, side)
    assert contents(store, result.tree) == side


def test_kind_change_on_one_side(store: ObjectStore) -> None:
    theirs = {**BASE, "a.txt": (EntryKind.EXEC, b"a"), "b.txt": (EntryKind.LINK, b"b")}
    result = merge(store, BASE, {**BASE, "dir/x": b"ours"}, theirs)
    assert result.clean
    kinds = {p: e.kind for p, e in flatten(store, result.tree).items()}
    assert kinds["a.txt"] is EntryKind.EXEC
    assert kinds["b.txt"] is EntryKind.LINK
    assert contents(store, result.tree)["dir/x"] == b"ours"


def test_nested_folders_merge_recursively(store: ObjectStore) -> None:
    base = {"p/q/r/1": b"1", "p/q/r/2": b"2", "p/q/3": b"3", "p/4": b"4"}
    ours = {**base, "p/q/r/1": b"ours", "p/q/new-ours": b"o"}
    theirs = {**base, "p/q/r/2": b"theirs", "p/4": b"theirs"}
    result = merge(store, base, ours, theirs)
    assert result.clean
    assert contents(store, result.tree) == {
        "p/q/r/1": b"ours",
        "p/q/r/2": b"theirs",
        "p/q/3": b"3",
        "p/q/new-ours": b"o",
        "p/4": b"theirs",
    }
    assert result.merged == ["p/4", "p/q/r/2"]


def test_merge_without_base(store: ObjectStore) -> None:
    result = merge_trees(
        store, None, make_tree(store, {"a": b"1"}), make_tree(store, {"b/c": b"2"})
    )
    assert contents(store, result.tree) == {"a": b"1", "b/c": b"2"}


def test_folder_emptied_by_the_merge_is_dropped(store: ObjectStore) -> None:
    base = {"keep": b"k", "d/x": b"x", "d/y": b"y"}
    result = merge(store, base, {"keep": b"k", "d/x": b"x"}, {"keep": b"k", "d/y": b"y"})
    assert result.clean
    assert store.get_tree(result.tree).names == ["keep"]


def test_everything_deleted_gives_the_empty_tree(store: ObjectStore) -> None:
    base = {"d/x": b"x", "d/y": b"y"}
    result = merge(store, base, {"d/x": b"x"}, {"d/y": b"y"})
    assert result.tree == Tree().id
    assert len(store.get_tree(result.tree)) == 0


def test_folder_replaced_by_file_merges_with_deletions_inside(store: ObjectStore) -> None:
    # Ours only deleted inside the folder that theirs replaced by a file: nothing clashes.
    base = {"d/x": b"x", "d/y": b"y"}
    result = merge(store, base, {"d/x": b"x"}, {"d": b"now a file"})
    assert result.clean
    assert contents(store, result.tree) == {"d": b"now a file"}
    assert result.merged == ["d", "d/x"]


def test_deleted_file_replaced_by_folder(store: ObjectStore) -> None:
    result = merge(store, {"d": b"file"}, {}, {"d/x": b"x"})
    assert result.clean
    assert contents(store, result.tree) == {"d/x": b"x"}
    assert result.merged == ["d/x"]


def test_deleted_folder_keeps_what_the_other_side_added(store: ObjectStore) -> None:
    base = {"d/x": b"x", "d/y": b"y"}
    result = merge(store, base, {}, {**base, "d/new": b"n"})
    assert result.clean
    assert contents(store, result.tree) == {"d/new": b"n"}


def test_empty_folder_added_on_one_side_survives(store: ObjectStore) -> None:
    base = make_tree(store, {"a": b"1"})
    ours = make_tree(store, {"a": b"2"})
    root = store.get_tree(base)
    theirs = store.put_tree(Tree([*root, TreeEntry("empty", EntryKind.DIR, Tree().id)]))
    store.put_tree(Tree())
    result = merge_trees(store, base, ours, theirs)
    assert store.get_tree(result.tree).names == ["a", "empty"]


def test_very_deep_paths(store: ObjectStore) -> None:
    deep = "/".join(["d"] * 1000)
    base = {f"{deep}/x": b"x", f"{deep}/y": b"y"}
    result = merge(store, base, {**base, f"{deep}/x": b"ours"}, {**base, f"{deep}/y": b"theirs"})
    assert result.clean
    assert result.merged == [f"{deep}/y"]
    conflicted = merge(store, base, {**base, f"{deep}/x": b"1"}, {**base, f"{deep}/x": b"2"})
    assert conflicts(conflicted) == [(f"{deep}/x", ConflictKind.CONTENT)]


# ----------------------------------------------------------------- conflicts
def test_content_conflict_records_three_entries(store: ObjectStore) -> None:
    result = merge(store, BASE, {**BASE, "a.txt": b"ours"}, {**BASE, "a.txt": b"theirs"})
    assert result.tree is None
    assert result.conflicts == [
        MergeConflict(
            "a.txt",
            ConflictKind.CONTENT,
            entry(store, "a.txt", b"a"),
            entry(store, "a.txt", b"ours"),
            entry(store, "a.txt", b"theirs"),
        )
    ]


def test_kind_against_content_change_is_a_content_conflict(store: ObjectStore) -> None:
    ours = {**BASE, "a.txt": (EntryKind.EXEC, b"a")}
    result = merge(store, BASE, ours, {**BASE, "a.txt": b"edited"})
    assert conflicts(result) == [("a.txt", ConflictKind.CONTENT)]


@pytest.mark.parametrize("deleting_side", ["ours", "theirs"])
def test_modify_delete(store: ObjectStore, deleting_side: str) -> None:
    deleted = {k: v for k, v in BASE.items() if k != "dir/x"}
    modified = {**BASE, "dir/x": b"edited"}
    ours, theirs = (deleted, modified) if deleting_side == "ours" else (modified, deleted)
    result = merge(store, BASE, ours, theirs)
    assert conflicts(result) == [("dir/x", ConflictKind.MODIFY_DELETE)]
    (conflict,) = result.conflicts
    assert conflict.base == entry(store, "x", b"x")
    gone = conflict.ours if deleting_side == "ours" else conflict.theirs
    assert gone is None


def test_modify_against_deleted_folder(store: ObjectStore) -> None:
    base = {"d/x": b"x", "d/y": b"y", "d/z": b"z"}
    result = merge(store, base, {}, {**base, "d/x": b"edited"})
    assert conflicts(result) == [("d/x", ConflictKind.MODIFY_DELETE)]


def test_add_add(store: ObjectStore) -> None:
    result = merge(store, BASE, {**BASE, "new": b"ours"}, {**BASE, "new": b"theirs"})
    assert conflicts(result) == [("new", ConflictKind.ADD_ADD)]
    assert result.conflicts[0].base is None


def test_add_add_of_different_kinds(store: ObjectStore) -> None:
    result = merge(store, BASE, {**BASE, "new": b"t"}, {**BASE, "new": (EntryKind.LINK, b"t")})
    assert conflicts(result) == [("new", ConflictKind.ADD_ADD)]


def test_file_against_folder_both_added(store: ObjectStore) -> None:
    result = merge(store, BASE, {**BASE, "n": b"file"}, {**BASE, "n/inner": b"i"})
    assert conflicts(result) == [("n", ConflictKind.FILE_DIRECTORY)]
    (conflict,) = result.conflicts
    assert conflict.ours == entry(store, "n", b"file")
    assert conflict.theirs is not None
    assert conflict.theirs.kind is EntryKind.DIR


def test_file_edited_against_file_replaced_by_folder(store: ObjectStore) -> None:
    theirs = {**{k: v for k, v in BASE.items() if k != "a.txt"}, "a.txt/in": b"i"}
    result = merge(store, BASE, {**BASE, "a.txt": b"edited"}, theirs)
    assert conflicts(result) == [("a.txt", ConflictKind.FILE_DIRECTORY)]


def test_folder_edited_against_folder_replaced_by_file(store: ObjectStore) -> None:
    # One conflict at the folder, not one per file inside it.
    ours = {**BASE, "dir/x": b"edited", "dir/sub/y": b"edited too"}
    theirs = {"a.txt": b"a", "b.txt": b"b", "dir": b"a file now"}
    result = merge(store, BASE, ours, theirs)
    assert conflicts(result) == [("dir", ConflictKind.FILE_DIRECTORY)]
    (conflict,) = result.conflicts
    assert conflict.base is not None
    assert conflict.base.kind is EntryKind.DIR
    assert conflict.theirs == entry(store, "dir", b"a file now")


def test_folder_extended_against_folder_replaced_by_file(store: ObjectStore) -> None:
    theirs = {"a.txt": b"a", "b.txt": b"b", "dir": b"a file now"}
    result = merge(store, BASE, {**BASE, "dir/added": b"n"}, theirs)
    assert conflicts(result) == [("dir", ConflictKind.FILE_DIRECTORY)]


def test_conflicts_are_sorted_and_clean_paths_still_reported(store: ObjectStore) -> None:
    ours = {**BASE, "b.txt": b"o", "a.txt": b"o", "dir/sub/y": b"o", "z": b"o"}
    theirs = {**BASE, "b.txt": b"t", "a.txt": b"t", "dir/sub/y": b"t", "dir/x": b"t"}
    result = merge(store, BASE, ours, theirs)
    assert [c.path for c in result.conflicts] == ["a.txt", "b.txt", "dir/sub/y"]
    assert result.merged == ["dir/x"]
    assert not result.clean


def test_a_conflicted_merge_writes_nothing(store: ObjectStore) -> None:
    base = make_tree(store, BASE)
    ours = make_tree(store, {**BASE, "dir/sub/y": b"o", "new/deep/n": b"1"})
    theirs = make_tree(store, {**BASE, "dir/sub/y": b"t", "dir/x": b"t"})
    before = {stat.id for stat in store.iter_objects()}
    assert merge_trees(store, base, ours, theirs).tree is None
    assert {stat.id for stat in store.iter_objects()} == before


# ----------------------------------------------------------------- resolutions
def _conflicted(store: ObjectStore) -> tuple[ObjectId, ObjectId, ObjectId]:
    base = make_tree(store, BASE)
    ours = make_tree(store, {**BASE, "a.txt": b"ours", "b.txt": b"ours", "n": b"file"})
    theirs = make_tree(store, {**BASE, "a.txt": b"theirs", "b.txt": b"theirs", "n/i": b"i"})
    return base, ours, theirs


def test_resolutions_take_a_side_an_entry_or_delete(store: ObjectStore) -> None:
    base, ours, theirs = _conflicted(store)
    assert conflicts(merge_trees(store, base, ours, theirs)) == [
        ("a.txt", ConflictKind.CONTENT),
        ("b.txt", ConflictKind.CONTENT),
        ("n", ConflictKind.FILE_DIRECTORY),
    ]
    handmade = entry(store, "ignored-name", b"by hand")
    tree = apply_resolutions(
        store, base, ours, theirs, {"a.txt": "theirs", "b.txt": handmade, "n": None}
    )
    assert contents(store, tree) == {
        "a.txt": b"theirs",
        "b.txt": b"by hand",
        "dir/x": b"x",
        "dir/sub/y": b"y",
    }
    tree = apply_resolutions(
        store, base, ours, theirs, {"a.txt": "ours", "b.txt": None, "n": "theirs"}
    )
    assert contents(store, tree) == {
        "a.txt": b"ours",
        "dir/x": b"x",
        "dir/sub/y": b"y",
        "n/i": b"i",
    }


def test_unresolved_conflicts_raise_conflict_naming_them(store: ObjectStore) -> None:
    base, ours, theirs = _conflicted(store)
    with pytest.raises(Conflict, match=r"b\.txt, n"):
        apply_resolutions(store, base, ours, theirs, {"a.txt": "ours"})


def test_resolution_without_a_conflict_is_invalid(store: ObjectStore) -> None:
    base, ours, theirs = _conflicted(store)
    every = {"a.txt": "ours", "b.txt": "ours", "n": "ours"}
    with pytest.raises(Invalid, match="dir/x"):
        apply_resolutions(store, base, ours, theirs, {**every, "dir/x": "ours"})
    with pytest.raises(Invalid, match="n/i"):  # hidden by the file/directory conflict at n
        apply_resolutions(store, base, ours, theirs, {**every, "n/i": "theirs"})


def test_malformed_resolutions_are_invalid(store: ObjectStore) -> None:
    base, ours, theirs = _conflicted(store)
    with pytest.raises(Invalid):
        apply_resolutions(store, base, ours, theirs, {"a.txt": "mine"})  # type: ignore[dict-item]
    with pytest.raises(Invalid):
        apply_resolutions(store, base, ours, theirs, {"../a.txt": "ours"})


def test_resolution_naming_a_missing_object_is_not_found(store: ObjectStore) -> None:
    base, ours, theirs = _conflicted(store)
    ghost = TreeEntry("a.txt", EntryKind.FILE, object_id_of(b"never stored"), 12)
    with pytest.raises(NotFound):
        apply_resolutions(store, base, ours, theirs, {"a.txt": ghost, "b.txt": "ours", "n": "ours"})


def test_resolutions_on_a_clean_merge(store: ObjectStore) -> None:
    base = make_tree(store, BASE)
    ours = make_tree(store, {**BASE, "a.txt": b"o"})
    assert apply_resolutions(store, base, ours, base, {}) == ours
    with pytest.raises(Invalid):
        apply_resolutions(store, base, ours, base, {"a.txt": "theirs"})


# ----------------------------------------------------------------- cost
def _wide(store: ObjectStore, edits: Mapping[str, bytes]) -> ObjectId:
    # 10 x 10 folders x 50 files = 5,000 files, three levels deep.
    files: dict[str, FileSpec] = {
        f"d{i}/e{j}/f{k}.csv": f"{i},{j},{k}".encode()
        for i in range(10)
        for j in range(10)
        for k in range(50)
    }
    return make_tree(store, {**files, **edits})


def test_cost_follows_the_changed_paths_only() -> None:
    store = CountingStore()
    base = _wide(store, {})
    ours = _wide(store, {"d3/e7/f42.csv": b"ours"})
    theirs = _wide(store, {"d5/e1/f0.csv": b"theirs"})
    store.tree_reads = 0
    result = merge_trees(store, base, ours, theirs)
    assert result.merged == ["d5/e1/f0.csv"]
    # The three roots, then d5 and d5/e1 on our side and theirs, to list what theirs changed.
    # d3 and d5 are taken whole by id; the merge itself reads no folder below the root.
    assert store.tree_reads == 3 + 4
    same_folder = _wide(store, {"d3/e7/f0.csv": b"theirs"})
    store.tree_reads = 0
    result = merge_trees(store, base, ours, same_folder)
    assert result.merged == ["d3/e7/f0.csv"]
    assert store.tree_reads == 9  # root, d3 and d3/e7 on each of the three sides
    store.tree_reads = 0
    assert merge_trees(store, base, ours, base).tree == ours
    assert store.tree_reads == 0


# ----------------------------------------------------------------- properties
_NAMES = st.sampled_from(["a", "b", "c"])
_PATHS = st.lists(_NAMES, min_size=1, max_size=3).map("/".join)
_SPECS = st.one_of(
    st.sampled_from([b"1", b"2", b"3"]),
    st.tuples(st.sampled_from([EntryKind.EXEC, EntryKind.LINK]), st.sampled_from([b"1", b"2"])),
)


def _related(p: str, q: str) -> bool:
    return p == q or p.startswith(q + "/") or q.startswith(p + "/")


def _consistent(files: dict[str, FileSpec]) -> dict[str, FileSpec]:
    """Drop paths that would need a file and a folder at one path (first come, first kept)."""
    kept: dict[str, FileSpec] = {}
    for path, spec in files.items():
        if not any(_related(path, p) for p in kept):
            kept[path] = spec
    return kept


def _edit(base: dict[str, FileSpec], edits: dict[str, FileSpec | None]) -> dict[str, FileSpec]:
    added = {p: s for p, s in edits.items() if s is not None}
    return _consistent({**added, **{p: s for p, s in base.items() if p not in edits}})


def _touched(base: dict[str, FileSpec], side: dict[str, FileSpec]) -> set[str]:
    return {p for p in base.keys() | side.keys() if base.get(p) != side.get(p)}


def _flat_merge(base: dict, ours: dict, theirs: dict) -> dict | None:
    """The reference: path-by-path three-way merge; None if any path or shape conflicts."""
    result = {}
    for path in base.keys() | ours.keys() | theirs.keys():
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if t in (o, b):
            pick = o
        elif o == b:
            pick = t
        else:
            return None
        if pick is not None:
            result[path] = pick
    if any(_related(p, q) and p != q for p in result for q in result):
        return None
    return result


FILE_SETS = st.dictionaries(_PATHS, _SPECS, max_size=8).map(_consistent)


def _edits(base: dict[str, FileSpec], min_size: int = 0) -> st.SearchStrategy[dict]:
    # Edits aim at existing paths half the time, so both sides often touch the same ones.
    paths = st.one_of(_PATHS, st.sampled_from(sorted(base))) if base else _PATHS
    return st.dictionaries(paths, st.one_of(st.none(), _SPECS), min_size=min_size, max_size=5)


@st.composite
def triples(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    base = draw(FILE_SETS)
    return base, _edit(base, draw(_edits(base))), _edit(base, draw(_edits(base)))


@st.composite
def disjoint_triples(draw: st.DrawFn) -> tuple[dict, dict, dict]:
    base = draw(FILE_SETS)
    x_edits = draw(_edits(base, min_size=1))
    y_edits = draw(_edits(base, min_size=1))
    y_edits = {p: s for p, s in y_edits.items() if not any(_related(p, q) for q in x_edits)}
    return base, _edit(base, x_edits), _edit(base, y_edits)


@settings(max_examples=200, deadline=None)
@given(triples())
def test_property_one_side_unchanged(case: tuple[dict, dict, dict]) -> None:
    base_files, x_files, _ = case
    store = MemoryObjectStore()
    base, x = make_tree(store, base_files), make_tree(store, x_files)
    assert merge_trees(store, base, x, base).tree == x
    assert merge_trees(store, base, base, x).tree == x
    assert merge_trees(store, base, x, x).tree == x


@settings(max_examples=500, deadline=None)
@given(disjoint_triples())
def test_property_disjoint_changes_commute(case: tuple[dict, dict, dict]) -> None:
    base_files, x_files, y_files = case
    x_paths, y_paths = _touched(base_files, x_files), _touched(base_files, y_files)
    assume(not any(_related(p, q) for p in x_paths for q in y_paths))
    event("both sides changed" if x_paths and y_paths else "one side or none changed")
    store = MemoryObjectStore()
    base, x, y = (make_tree(store, files) for files in case)
    expected = {p: s for p, s in base_files.items() if p not in x_paths | y_paths}
    expected |= {p: x_files[p] for p in x_paths if p in x_files}
    expected |= {p: y_files[p] for p in y_paths if p in y_files}
    forward, backward = merge_trees(store, base, x, y), merge_trees(store, base, y, x)
    assert forward.clean
    assert forward.tree == backward.tree == make_tree(store, expected)


@settings(max_examples=400, deadline=None)
@given(triples())
def test_property_matches_a_path_by_path_merge(case: tuple[dict, dict, dict]) -> None:
    store = MemoryObjectStore()
    base, ours, theirs = (make_tree(store, files) for files in case)
    flat = [flatten(store, tree) for tree in (base, ours, theirs)]
    expected = _flat_merge(*flat)
    result = merge_trees(store, base, ours, theirs)
    event("conflicted" if expected is None else "clean")
    if expected is None:
        assert not result.clean
        assert result.tree is None
    else:
        assert result.clean
        assert result.tree == build_tree(store, expected)


@settings(max_examples=200, deadline=None)
@given(triples(), st.sampled_from(["ours", "theirs"]))
def test_property_taking_one_side_everywhere_resolves(
    case: tuple[dict, dict, dict], side: str
) -> None:
    store = MemoryObjectStore()
    base, ours, theirs = (make_tree(store, files) for files in case)
    result = merge_trees(store, base, ours, theirs)
    resolved = apply_resolutions(
        store, base, ours, theirs, {c.path: side for c in result.conflicts}
    )
    if result.clean:
        assert resolved == result.tree
    winner = flatten(store, ours if side == "ours" else theirs)
    for conflict in result.conflicts:
        under = conflict.path + "/"
        got = {p: e for p, e in flatten(store, resolved).items() if (p + "/").startswith(under)}
        assert got == {p: e for p, e in winner.items() if (p + "/").startswith(under)}
