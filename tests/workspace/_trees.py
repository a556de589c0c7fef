"""Tree-building helpers shared by the diff and merge tests."""

from __future__ import annotations

from collections.abc import Mapping

from aether_data.ids import ObjectId
from aether_data.objects import EntryKind, Tree, TreeEntry
from aether_data.storage import MemoryObjectStore, ObjectStore

FileSpec = bytes | tuple[EntryKind, bytes]


def make_tree(store: ObjectStore, files: Mapping[str, FileSpec]) -> ObjectId:
    """Store a tree holding ``files`` (path -> content, or (kind, content) for exec and links)."""
    entries = {}
    for path, spec in files.items():
        kind, data = spec if isinstance(spec, tuple) else (EntryKind.FILE, spec)
        name = path.rpartition("/")[2]
        entries[path] = TreeEntry(name, kind, store.put_bytes(data), len(data))
    return build_tree(store, entries)


def build_tree(store: ObjectStore, entries: Mapping[str, TreeEntry]) -> ObjectId:
    """Store a tree from a flat {path: leaf entry} mapping (folders are implied by paths)."""
    folders: dict[str, list[TreeEntry]] = {"": []}
    for path, entry in entries.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            folders.setdefault("/".join(parts[:depth]), [])
        folders[path.rpartition("/")[0]].append(entry)
    for folder in sorted((f for f in folders if f), key=lambda f: -f.count("/")):
        tree_id = store.put_tree(Tree(folders[folder]))
        parent, _, name = folder.rpartition("/")
        folders[parent].append(TreeEntry(name, EntryKind.DIR, tree_id))
    return store.put_tree(Tree(folders[""]))


def flatten(store: ObjectStore, tree_id: ObjectId | None, prefix: str = "") -> dict[str, TreeEntry]:
    """The leaves of a tree as {path: entry}."""
    out: dict[str, TreeEntry] = {}
    if tree_id is None:
        return out
    for entry in store.get_tree(tree_id):
        path = f"{prefix}{entry.name}"
        if entry.kind is EntryKind.DIR:
            out.update(flatten(store, entry.id, path + "/"))
        else:
            out[path] = entry
    return out


class CountingStore(MemoryObjectStore):
    """A memory store that counts tree reads."""

    def __init__(self) -> None:
        super().__init__()
        self.tree_reads = 0

    def get_tree(self, oid: ObjectId) -> Tree:
        self.tree_reads += 1
        return super().get_tree(oid)
