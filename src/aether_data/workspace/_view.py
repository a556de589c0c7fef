"""A session's file tree at one version: its base tree seen through its overlay."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping

from aether_data.catalog import OverlayEntry, OverlayKind
from aether_data.ids import ObjectId
from aether_data.objects import EntryKind, Tree, TreeEntry
from aether_data.storage.base import ObjectStore
from aether_data.workspace.paths import join, parent_and_name, split_path

__all__ = ["EMPTY_TREE", "LayeredOverlay", "OverlayIndex", "SessionView", "to_entry"]

EMPTY_TREE = Tree().id


def to_entry(name: str, overlay: OverlayEntry) -> TreeEntry:
    """The tree entry an overlay entry stands for (not for tombstones)."""
    assert overlay.object_id is not None
    return TreeEntry(name, EntryKind(overlay.kind.value), overlay.object_id, overlay.size)


class OverlayIndex:
    """An overlay with the lookups a view needs: by path, by prefix and by parent folder."""

    def __init__(self, entries: Mapping[str, OverlayEntry]) -> None:
        self.entries = dict(entries)
        self._paths = sorted(self.entries)
        self._children: dict[str, dict[str, OverlayEntry]] = {}
        self.touched: set[str] = set()
        self._touched_children: dict[str, set[str]] = {}
        for path, entry in self.entries.items():
            parent, name = parent_and_name(path)
            self._children.setdefault(parent, {})[name] = entry
            ancestor = parent
            while ancestor not in self.touched:
                self.touched.add(ancestor)
                if not ancestor:
                    break
                up, folder = parent_and_name(ancestor)
                self._touched_children.setdefault(up, set()).add(folder)
                ancestor = up

    def under(self, folder: str) -> Iterator[str]:
        """Overlay paths strictly below ``folder``."""
        start = f"{folder}/"
        at = bisect.bisect_left(self._paths, start)
        while at < len(self._paths) and self._paths[at].startswith(start):
            yield self._paths[at]
            at += 1

    def touched_children(self, folder: str) -> set[str]:
        """Names of sub-folders of ``folder`` that have overlay entries below them."""
        return self._touched_children.get(folder, set())

    def children(self, folder: str) -> Mapping[str, OverlayEntry]:
        """Overlay entries directly inside ``folder``."""
        return self._children.get(folder, {})


class LayeredOverlay:
    """Pending changes laid over an overlay without copying it.

    Lookups by path and by prefix are cheap; the rarer per-folder questions (listing,
    materializing) build the merged index on demand.
    """

    def __init__(self, base: OverlayIndex, changes: Mapping[str, OverlayEntry | None]) -> None:
        self.base = base
        self.changes = changes

    @property
    def entries(self) -> LayeredOverlay:
        return self

    def get(self, path: str, default: OverlayEntry | None = None) -> OverlayEntry | None:
        if path in self.changes:
            entry = self.changes[path]
            return default if entry is None else entry
        return self.base.entries.get(path, default)

    def items(self) -> Iterator[tuple[str, OverlayEntry]]:
        return iter(self.merged().items())

    def merged(self) -> dict[str, OverlayEntry]:
        out = dict(self.base.entries)
        for path, entry in self.changes.items():
            if entry is None:
                out.pop(path, None)
            else:
                out[path] = entry
        return out

    def under(self, folder: str) -> Iterator[str]:
        start = f"{folder}/"
        yield from (p for p in self.base.under(folder) if p not in self.changes)
        yield from (p for p, e in self.changes.items() if e is not None and p.startswith(start))

    def _index(self) -> OverlayIndex:
        return OverlayIndex(self.merged())

    def children(self, folder: str) -> Mapping[str, OverlayEntry]:
        return self._index().children(folder)

    def touched_children(self, folder: str) -> set[str]:
        return self._index().touched_children(folder)

    @property
    def touched(self) -> set[str]:
        return self._index().touched


class SessionView:
    """Read access to a session's tree without materializing it."""

    def __init__(
        self, store: ObjectStore, base_tree: ObjectId, overlay: OverlayIndex | LayeredOverlay
    ) -> None:
        self.store = store
        self.base_tree = base_tree
        self.overlay = overlay

    def lookup(self, path: str) -> TreeEntry | None:
        """The entry at a canonical path (a ``dir`` entry for the root), or None."""
        entry = TreeEntry("root", EntryKind.DIR, self.base_tree) if not path else None
        tree: ObjectId | None = self.base_tree
        prefix = ""
        for name in split_path(path):
            prefix = join(prefix, name)
            entry = self._child(tree, prefix, name)
            if entry is None:
                return None
            tree = entry.id if entry.kind is EntryKind.DIR else None
        return entry

    def _child(self, tree: ObjectId | None, path: str, name: str) -> TreeEntry | None:
        override = self.overlay.entries.get(path)
        if override is not None:
            return None if override.kind is OverlayKind.TOMBSTONE else to_entry(name, override)
        return None if tree is None else self.store.get_tree(tree).get(name)

    def listdir(self, path: str) -> list[TreeEntry]:
        """Entries of the folder at ``path``, sorted by name; [] if it is not a folder."""
        entry = self.lookup(path)
        if entry is None or entry.kind is not EntryKind.DIR:
            return []
        return list(self._merged(path, entry.id))

    def _merged(self, path: str, tree_id: ObjectId) -> Tree:
        children = {e.name: e for e in self.store.get_tree(tree_id)}
        for name, override in self.overlay.children(path).items():
            if override.kind is OverlayKind.TOMBSTONE:
                children.pop(name, None)
            else:
                children[name] = to_entry(name, override)
        return Tree(children.values())

    def materialize(self) -> ObjectId:
        """Store the trees this view differs by and return the root tree's id."""
        return self._build("", self.base_tree)

    def tree_id(self) -> ObjectId:
        """The root tree's id, computed without storing anything (to compare, not to keep)."""
        return self._build("", self.base_tree, store=False)

    def _build(self, path: str, tree_id: ObjectId, *, store: bool = True) -> ObjectId:
        # Only folders with changes below them are rebuilt, each from its stored tree plus the
        # changed names, so the cost follows the changes, not the size of the folders.
        if path not in self.overlay.touched:
            return tree_id
        tree = self.store.get_tree(tree_id)
        changes: dict[str, TreeEntry | None] = {
            name: None if override.kind is OverlayKind.TOMBSTONE else to_entry(name, override)
            for name, override in self.overlay.children(path).items()
        }
        for name in self.overlay.touched_children(path):
            entry = changes[name] if name in changes else tree.get(name)
            if entry is not None and entry.kind is EntryKind.DIR:
                built = self._build(join(path, name), entry.id, store=store)
                changes[name] = TreeEntry(name, EntryKind.DIR, built)
        updated = tree.updated(changes)
        return self.store.put_tree(updated) if store else updated.id

    def walk(self, path: str = "", *, after: str | None = None) -> Iterator[tuple[str, TreeEntry]]:
        """Every entry below ``path``, depth first, in sorted order.

        With ``after`` (a path below ``path``), the walk resumes just past it, skipping whole
        folders that come before it instead of walking them.
        """
        rest = None
        if after is not None:
            relative = after[len(path) + 1 :] if path else after
            rest = [part.encode("utf-8") for part in split_path(relative)] or None
        return self._walk(path, rest)

    def _walk(self, path: str, after: list[bytes] | None) -> Iterator[tuple[str, TreeEntry]]:
        for entry in self.listdir(path):
            child = join(path, entry.name)
            key = entry.name.encode("utf-8")
            if after is not None and key < after[0]:
                continue  # this whole entry, and its folder, came before the cursor
            resume = after[1:] or None if after is not None and key == after[0] else None
            if after is None or key > after[0]:
                yield child, entry
            if entry.kind is EntryKind.DIR:
                yield from self._walk(child, resume)
            after = None
