"""Three-way merge of trees at path level (files and links are the unit; folders merge inside).

Per path: a side that did not change it yields to the other; the same change on both sides is
taken once; different changes are a conflict. Subtrees that are equal on both sides, or
unchanged on one side, are taken whole by id without being read, so a merge costs reads along
the paths both sides changed, never a walk of the whole tree.

A folder is a container: a folder that the merge leaves empty is dropped, and a file on one
side where the other side has a folder is a conflict only if both survive the merge (a side
that replaced a folder by a file merges cleanly with a side that merely deleted inside it).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypeAlias

from aether_data.errors import Conflict, Invalid
from aether_data.ids import ObjectId
from aether_data.objects import EntryKind, Tree, TreeEntry
from aether_data.storage.base import ObjectStore
from aether_data.workspace.diff import diff_trees
from aether_data.workspace.paths import join, normalize_path, parent_and_name

__all__ = [
    "ConflictKind",
    "MergeConflict",
    "MergeResult",
    "Resolution",
    "apply_resolutions",
    "merge_trees",
]

Resolution: TypeAlias = Literal["ours", "theirs"] | TreeEntry | None
"""How to settle one conflict: take a side, put this entry there, or (None) delete the path."""

_EMPTY = Tree()


class ConflictKind(enum.StrEnum):
    """Why a path could not be merged."""

    CONTENT = "content"
    """Both sides changed the file or link, differently."""
    MODIFY_DELETE = "modify/delete"
    """One side deleted the path, the other changed it."""
    ADD_ADD = "add/add"
    """Both sides added the path, with different content."""
    FILE_DIRECTORY = "file/directory"
    """One side has a file or link where the other has a folder."""


@dataclass(frozen=True, slots=True)
class MergeConflict:
    """One path the merge could not settle, with what each tree holds there."""

    path: str
    kind: ConflictKind
    base: TreeEntry | None
    ours: TreeEntry | None
    theirs: TreeEntry | None


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The outcome of a three-way merge.

    Attributes:
        tree: The merged tree, already stored; None when there are conflicts.
        conflicts: The paths that need a resolution, sorted by path.
        merged: The files and links where the result takes a change from ``theirs`` (an
            addition, edit or deletion that ``ours`` lacks), sorted.
    """

    tree: ObjectId | None
    conflicts: list[MergeConflict]
    merged: list[str]

    @property
    def clean(self) -> bool:
        """True when the merge needs no resolution."""
        return not self.conflicts


def merge_trees(
    store: ObjectStore, base: ObjectId | None, ours: ObjectId, theirs: ObjectId
) -> MergeResult:
    """Merge the changes ``ours`` and ``theirs`` each made to ``base``.

    Args:
        store: Where the trees are stored; the merged tree is written here.
        base: The common ancestor; None means an empty tree.
        ours: One side (say, the branch head).
        theirs: The other side (say, the session being committed).

    Returns:
        The merged tree id (None if there are conflicts), the conflicts and the merged paths.

    Raises:
        NotFound: A tree the merge needs is missing from the store.
    """
    merger = _Merger(store, {})
    root = merger.run(base, ours, theirs)
    merged = merger.merged_paths()
    if merger.conflicts:
        return MergeResult(None, sorted(merger.conflicts, key=lambda c: c.path), merged)
    return MergeResult(merger.write(root), [], merged)


def apply_resolutions(
    store: ObjectStore,
    base: ObjectId | None,
    ours: ObjectId,
    theirs: ObjectId,
    resolutions: Mapping[str, Resolution],
) -> ObjectId:
    """Merge as ``merge_trees`` does, settling each conflict with the resolution for its path.

    Args:
        store: Where the trees are stored; the merged tree is written here.
        base: The common ancestor; None means an empty tree.
        ours: One side.
        theirs: The other side.
        resolutions: For each conflicted path: ``"ours"`` or ``"theirs"`` (that side's entry,
            a whole folder for a file/directory conflict), a ``TreeEntry`` to put there (its
            name is replaced by the path's last component), or None to delete the path.

    Returns:
        The id of the merged tree, already stored.

    Raises:
        Invalid: A path is malformed, has no conflict, or its resolution is not one of the above.
        NotFound: A resolution names an object that is not in the store.
        Conflict: Some conflicts have no resolution; the message lists their paths.
    """
    wanted = _checked(store, resolutions)
    merger = _Merger(store, wanted)
    root = merger.run(base, ours, theirs)
    stray = sorted(wanted.keys() - set(merger.used))
    if stray:
        raise Invalid(f"no conflict to resolve at: {', '.join(stray)}")
    if merger.conflicts:
        paths = sorted(conflict.path for conflict in merger.conflicts)
        raise Conflict(f"{len(paths)} conflicts have no resolution: {', '.join(paths)}")
    return merger.write(root)


def _checked(store: ObjectStore, resolutions: Mapping[str, Resolution]) -> dict[str, Resolution]:
    checked: dict[str, Resolution] = {}
    for raw_path, resolution in resolutions.items():
        path = normalize_path(raw_path)
        if isinstance(resolution, TreeEntry):
            _require_object(store, resolution)
        elif resolution not in ("ours", "theirs", None):
            raise Invalid(f"resolution for {path!r} must be 'ours', 'theirs', an entry or None")
        checked[path] = resolution
    return checked


def _require_object(store: ObjectStore, entry: TreeEntry) -> None:
    if entry.kind is EntryKind.DIR:
        store.get_tree(entry.id)  # NotFound, or Invalid if the id is not a tree
    else:
        store.size_of(entry.id)  # NotFound, or Invalid if the id is not a file


class _Mark(NamedTuple):
    conflicts: int
    taken: int
    trees: int
    used: int


_Taken = tuple[str, TreeEntry | None, TreeEntry | None]
_Request = tuple[str, ObjectId | None, ObjectId | None, ObjectId | None]
_Step = Generator[_Request, ObjectId | None, ObjectId | None]


class _Merger:
    """One merge. Folder merges are generators run by ``_drive``: a path may be ~1,000 folders
    deep, more than Python's recursion limit allows, so a folder that needs its own merge is
    *requested* (yielded) and the driver sends the merged tree id back."""

    def __init__(self, store: ObjectStore, resolutions: Mapping[str, Resolution]) -> None:
        self.store = store
        self.resolutions = resolutions
        self.conflicts: list[MergeConflict] = []
        self.taken: list[_Taken] = []  # where theirs' entry won: (path, ours, theirs)
        self.trees: list[Tree] = []  # built children first, the order in which to store them
        self.used: list[str] = []

    def run(self, base: ObjectId | None, ours: ObjectId, theirs: ObjectId) -> ObjectId:
        if theirs in (ours, base):
            return ours
        root = self._drive(self._merge_dir("", base, ours, theirs))
        if root is None:
            self.trees.append(_EMPTY)
            return _EMPTY.id
        return root

    def merged_paths(self) -> list[str]:
        """The files and links behind ``taken``: a folder taken whole is diffed against ours
        there, which reads only what theirs changed in it."""
        paths: set[str] = set()
        for path, ours, theirs in self.taken:
            if _leaf(ours) != _leaf(theirs):
                paths.add(path)
            changes = diff_trees(self.store, _folder(ours), _folder(theirs), detect_renames=False)
            paths.update(join(path, change.path) for change in changes)
        return sorted(paths)

    def write(self, root: ObjectId) -> ObjectId:
        for tree in self.trees:
            self.store.put_tree(tree, sync=False)
        self.store.flush()  # durable before anyone names the root
        return root

    def _drive(self, first: _Step) -> ObjectId | None:
        stack, reply = [first], None
        while stack:
            try:
                request = stack[-1].send(reply)
            except StopIteration as finished:
                stack.pop()
                reply = finished.value
            else:
                stack.append(self._merge_dir(*request))
                reply = None
        return reply

    def _merge_dir(
        self, path: str, base: ObjectId | None, ours: ObjectId | None, theirs: ObjectId | None
    ) -> _Step:
        b, o, t = self._tree(base), self._tree(ours), self._tree(theirs)
        entries = []
        for name in set(b.names) | set(o.names) | set(t.names):
            mine, other, old = o.get(name), t.get(name), b.get(name)
            if other in (mine, old):
                entry = mine
            elif mine == old:
                self.taken.append((join(path, name), mine, other))
                entry = other
            else:
                entry = yield from self._merge_changed(join(path, name), old, mine, other)
            if entry is not None:
                entries.append(entry)
        if not entries:
            return None
        tree = Tree(entries)
        self.trees.append(tree)
        return tree.id

    def _merge_changed(
        self, path: str, b: TreeEntry | None, o: TreeEntry | None, t: TreeEntry | None
    ) -> Generator[_Request, ObjectId | None, TreeEntry | None]:
        # The path may hold a leaf and, as a separate layer, a folder; merge each layer, then
        # see whether both survived.
        mark = self._mark()
        folder = yield from self._merge_folder(path, _folder(b), _folder(o), _folder(t))
        folder_alive = folder is not None or len(self.conflicts) > mark.conflicts
        leaf, kind, from_theirs = _merge_leaf(_leaf(b), _leaf(o), _leaf(t))
        if folder_alive and (leaf is not None or kind is not None):
            self._rewind(mark)
            return self._conflict(path, ConflictKind.FILE_DIRECTORY, b, o, t)
        if kind is not None:
            return self._conflict(path, kind, b, o, t)
        if leaf is not None:
            if from_theirs:
                self.taken.append((path, _leaf(o), leaf))
            return leaf
        return _dir_entry(path, folder)

    def _merge_folder(
        self, path: str, base: ObjectId | None, ours: ObjectId | None, theirs: ObjectId | None
    ) -> Generator[_Request, ObjectId | None, ObjectId | None]:
        if theirs in (ours, base):
            return ours
        if ours == base:
            self.taken.append((path, _dir_entry(path, ours), _dir_entry(path, theirs)))
            return theirs
        return (yield (path, base, ours, theirs))

    def _conflict(
        self,
        path: str,
        kind: ConflictKind,
        b: TreeEntry | None,
        o: TreeEntry | None,
        t: TreeEntry | None,
    ) -> TreeEntry | None:
        if path not in self.resolutions:
            self.conflicts.append(MergeConflict(path, kind, b, o, t))
            return None
        self.used.append(path)
        resolution = self.resolutions[path]
        if resolution == "ours":
            return o
        if resolution == "theirs":
            return t
        if isinstance(resolution, TreeEntry):
            return dataclasses.replace(resolution, name=_name(path))
        return None

    def _mark(self) -> _Mark:
        return _Mark(len(self.conflicts), len(self.taken), len(self.trees), len(self.used))

    def _rewind(self, mark: _Mark) -> None:
        """Forget what a folder merge found, when the whole path becomes one conflict."""
        del self.conflicts[mark.conflicts :]
        del self.taken[mark.taken :]
        del self.trees[mark.trees :]
        del self.used[mark.used :]

    def _tree(self, tree_id: ObjectId | None) -> Tree:
        return _EMPTY if tree_id is None else self.store.get_tree(tree_id)


def _merge_leaf(
    b: TreeEntry | None, o: TreeEntry | None, t: TreeEntry | None
) -> tuple[TreeEntry | None, ConflictKind | None, bool]:
    """Three-way merge of one file or link: (result, conflict kind, whether taken from theirs)."""
    if t in (o, b):
        return o, None, False
    if o == b:
        return t, None, True
    if b is None:
        return None, ConflictKind.ADD_ADD, False
    if o is None or t is None:
        return None, ConflictKind.MODIFY_DELETE, False
    return None, ConflictKind.CONTENT, False


def _dir_entry(path: str, tree_id: ObjectId | None) -> TreeEntry | None:
    return None if tree_id is None else TreeEntry(_name(path), EntryKind.DIR, tree_id)


def _name(path: str) -> str:
    return parent_and_name(path)[1]


def _leaf(entry: TreeEntry | None) -> TreeEntry | None:
    """The entry if it is a file or link, else None (a folder is not a leaf)."""
    return None if entry is None or entry.kind is EntryKind.DIR else entry


def _folder(entry: TreeEntry | None) -> ObjectId | None:
    """The tree id if the entry is a folder, else None."""
    return entry.id if entry is not None and entry.kind is EntryKind.DIR else None
