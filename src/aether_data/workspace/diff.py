"""Tree diffs: which files and links changed between two trees, with renames found by content.

Folders are containers, not changes: an added folder shows up as its files ADDED, a removed
one as its files REMOVED. Subtrees with the same id on both sides are skipped without being
read, so a diff costs reads along the changed paths only, never a walk of the whole tree.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from aether_data.ids import ObjectId
from aether_data.objects import EntryKind, Tree, TreeEntry
from aether_data.storage.base import ObjectStore
from aether_data.workspace.paths import join, normalize_path, split_path

__all__ = ["Change", "ChangeStatus", "diff_summary", "diff_trees"]

_EMPTY = Tree()


class ChangeStatus(enum.StrEnum):
    """How one path changed.

    A change of kind (file to link, file to executable) at the same path is ``MODIFIED``;
    compare ``Change.old.kind`` with ``Change.new.kind`` (or read ``Change.kind_changed``).
    """

    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"
    RENAMED = "renamed"


@dataclass(frozen=True, slots=True)
class Change:
    """One changed file or link.

    Attributes:
        status: What happened to the path.
        path: The path in the new tree (in the old tree for ``REMOVED``).
        old_path: For ``RENAMED``, the path in the old tree; otherwise None.
        old: The entry before (None for ``ADDED``).
        new: The entry after (None for ``REMOVED``).
    """

    status: ChangeStatus
    path: str
    old_path: str | None
    old: TreeEntry | None
    new: TreeEntry | None

    @property
    def kind_changed(self) -> bool:
        """True when the path holds a different kind of entry (say a file became a link)."""
        return self.old is not None and self.new is not None and self.old.kind != self.new.kind


def diff_trees(
    store: ObjectStore,
    old_tree: ObjectId | None,
    new_tree: ObjectId | None,
    *,
    prefix: str = "",
    detect_renames: bool = True,
) -> list[Change]:
    """List the files and links that differ between two trees, sorted by path.

    Args:
        store: Where the trees are stored.
        old_tree: The tree before; None means an empty tree.
        new_tree: The tree after; None means an empty tree.
        prefix: Restrict the diff to this folder (or file); paths in the result stay full paths.
        detect_renames: Pair a removed and an added entry of the same kind and content into one
            ``RENAMED`` change. When several share a content, they pair in path order. Empty
            files are never paired: sharing no content says nothing about their identity.

    Returns:
        The changes, sorted by ``path``.

    Raises:
        Invalid: ``prefix`` is not a canonical path.
        NotFound: A tree the diff needs is missing from the store.
    """
    root = normalize_path(prefix, allow_root=True)
    if old_tree == new_tree:
        return []
    if root:
        old, new = _entry_at(store, old_tree, root), _entry_at(store, new_tree, root)
        changes = list(_walk(store, [(root, old, new)], []))
    else:
        changes = list(_walk(store, [], [("", old_tree, new_tree)]))
    if detect_renames:
        changes = _pair_renames(changes)
    return sorted(changes, key=lambda change: change.path)


def diff_summary(changes: Iterable[Change]) -> dict[str, int]:
    """Count changes per status; every status is present, zero when absent."""
    counts = Counter(change.status for change in changes)
    return {status.value: counts[status] for status in ChangeStatus}


def _entry_at(store: ObjectStore, tree_id: ObjectId | None, path: str) -> TreeEntry | None:
    *parents, name = split_path(path)
    for part in parents:
        if tree_id is None:
            return None
        entry = store.get_tree(tree_id).get(part)
        tree_id = entry.id if entry is not None and entry.kind is EntryKind.DIR else None
    return None if tree_id is None else store.get_tree(tree_id).get(name)


_EntryPair = tuple[str, TreeEntry | None, TreeEntry | None]
_TreePair = tuple[str, ObjectId | None, ObjectId | None]


def _walk(
    store: ObjectStore, entries: list[_EntryPair], folders: list[_TreePair]
) -> Iterator[Change]:
    # A work list rather than recursion: a path may be ~1,000 folders deep.
    while entries or folders:
        if entries:
            path, old, new = entries.pop()
            yield from _leaf_change(path, _leaf(old), _leaf(new))
            old_dir, new_dir = _folder(old), _folder(new)
            if old_dir != new_dir:
                folders.append((path, old_dir, new_dir))
        else:
            path, old_dir, new_dir = folders.pop()
            entries.extend(_pairs(store, path, old_dir, new_dir))


def _pairs(
    store: ObjectStore, path: str, old_id: ObjectId | None, new_id: ObjectId | None
) -> Iterator[_EntryPair]:
    old, new = _tree(store, old_id), _tree(store, new_id)
    for name in set(old.names) | set(new.names):
        before, after = old.get(name), new.get(name)
        if before != after:
            yield join(path, name), before, after


def _leaf_change(path: str, old: TreeEntry | None, new: TreeEntry | None) -> Iterator[Change]:
    if old == new:
        return
    if old is None:
        yield Change(ChangeStatus.ADDED, path, None, None, new)
    elif new is None:
        yield Change(ChangeStatus.REMOVED, path, None, old, None)
    else:
        yield Change(ChangeStatus.MODIFIED, path, None, old, new)


def _pair_renames(changes: list[Change]) -> list[Change]:
    removed: defaultdict[tuple[EntryKind, ObjectId], list[Change]] = defaultdict(list)
    added: defaultdict[tuple[EntryKind, ObjectId], list[Change]] = defaultdict(list)
    for change in sorted(changes, key=lambda c: c.path):
        gone = change.status is ChangeStatus.REMOVED
        entry = change.old if gone else change.new
        if change.status in _PAIRABLE and entry is not None and entry.size > 0:
            (removed if gone else added)[entry.kind, entry.id].append(change)
    paired: set[Change] = set()
    renames = []
    for key in removed.keys() & added.keys():
        for before, after in zip(removed[key], added[key], strict=False):
            paired.update((before, after))
            renames.append(
                Change(ChangeStatus.RENAMED, after.path, before.path, before.old, after.new)
            )
    return [change for change in changes if change not in paired] + renames


_PAIRABLE = (ChangeStatus.REMOVED, ChangeStatus.ADDED)


def _tree(store: ObjectStore, tree_id: ObjectId | None) -> Tree:
    return _EMPTY if tree_id is None else store.get_tree(tree_id)


def _leaf(entry: TreeEntry | None) -> TreeEntry | None:
    """The entry if it is a file or link, else None (a folder is not a leaf)."""
    return None if entry is None or entry.kind is EntryKind.DIR else entry


def _folder(entry: TreeEntry | None) -> ObjectId | None:
    """The tree id if the entry is a folder, else None."""
    return entry.id if entry is not None and entry.kind is EntryKind.DIR else None
