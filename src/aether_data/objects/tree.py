"""Trees: one directory listing, canonically encoded.

Encoding (UTF-8 header line, then one record per entry, sorted by the name's UTF-8 bytes)::

    aether-tree 1\n
    <kind> <size> <object id>\t<name>\0   (repeated)

``kind`` is ``file``, ``exec``, ``dir`` or ``link``; ``size`` is the byte size of the file or link
target (0 for ``dir``). Names never contain NUL or ``/``, so each record is unambiguous, and sorting
makes the bytes (and the id) independent of insertion order.
"""

from __future__ import annotations

import bisect
import enum
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from aether_data.errors import Invalid
from aether_data.ids import ObjectId, object_id_of, parse_object_id

__all__ = ["PAGE_MAX", "PAGE_MIN", "EntryKind", "Tree", "TreeEntry", "page_ids", "validate_name"]

_HEADER = b"aether-tree 1\n"
_PAGES_HEADER = b"aether-tree-pages 1\n"
MAX_NAME_BYTES = 255
PAGE_MIN = 64
PAGE_MAX = 2048
_CUT_MASK = 0x1FF  # a cut after about one name in 512


class EntryKind(enum.StrEnum):
    """What a tree entry names."""

    FILE = "file"
    EXEC = "exec"
    DIR = "dir"
    LINK = "link"

    @property
    def is_file(self) -> bool:
        """True for regular files, executable or not."""
        return self in (EntryKind.FILE, EntryKind.EXEC)


def validate_name(name: str | bytes) -> str:
    """Return ``name`` as text if it is a safe single path component, else raise ``Invalid``.

    Refused: empty, ``.``, ``..``, containing ``/`` or NUL, longer than 255 UTF-8 bytes,
    and bytes that are not UTF-8 (including the surrogate escapes Python uses for them).
    """
    if isinstance(name, bytes):
        try:
            name = name.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid(f"name is not valid UTF-8: {name!r}") from exc
    _check_name(name)
    return name


def _check_name(name: str) -> None:
    if name in ("", ".", ".."):
        raise Invalid(f"name {name!r} is not allowed in a tree")
    if "/" in name or "\0" in name:
        raise Invalid(f"name {name!r} contains '/' or NUL")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise Invalid(f"name is not valid UTF-8: {name!r}") from exc
    if len(encoded) > MAX_NAME_BYTES:
        raise Invalid(f"name is longer than {MAX_NAME_BYTES} bytes: {name[:40]!r}...")


@dataclass(frozen=True, slots=True)
class TreeEntry:
    """One named child of a tree."""

    name: str
    kind: EntryKind
    id: ObjectId
    size: int = 0

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.size < 0:
            raise Invalid(f"entry {self.name!r} has a negative size")


class Tree:
    """An immutable directory listing; equal content means equal bytes and equal id.

    A listing of more than ``PAGE_MAX`` entries is kept as pages: small trees of consecutive
    entries, cut where a name's CRC-32 ends in nine zero bits (at least ``PAGE_MIN`` and at most
    ``PAGE_MAX`` entries a page). The cut points depend only on the names, so changing a few
    entries of a huge folder re-encodes one or two pages, not the folder (see ``updated``).
    """

    def __init__(self, entries: Iterable[TreeEntry] = ()) -> None:
        by_name: dict[str, TreeEntry] = {}
        for entry in entries:
            if entry.name in by_name:
                raise Invalid(f"duplicate name in tree: {entry.name!r}")
            by_name[entry.name] = entry
        ordered = sorted(by_name.values(), key=lambda e: e.name.encode("utf-8"))
        self._entries: Mapping[str, TreeEntry] | None = None
        self._pages: list[Tree] | None = None
        if len(ordered) > PAGE_MAX:
            self._set_pages([Tree._plain(run) for run in _paginate(ordered)])
        else:
            self._entries = {e.name: e for e in ordered}

    @classmethod
    def _plain(cls, ordered: list[TreeEntry]) -> Tree:
        tree = cls.__new__(cls)
        tree._entries, tree._pages = {e.name: e for e in ordered}, None
        return tree

    @classmethod
    def from_pages(cls, pages: list[Tree]) -> Tree:
        """A paged tree from its pages, checked to be the canonical paging of their entries."""
        tree = cls.from_trusted_pages(pages)
        expected = [Tree._plain(run).id for run in _paginate(list(tree))]
        if len(tree) <= PAGE_MAX or expected != [page.id for page in pages]:
            raise Invalid("paged tree is not in canonical form")
        return tree

    def _set_pages(self, pages: list[Tree]) -> None:
        self._pages = pages
        self._firsts = [next(iter(page)).name.encode("utf-8") for page in pages]
        self._count = sum(len(page) for page in pages)

    @property
    def pages(self) -> list[Tree] | None:
        """The pages of a paged tree (None for a plain one)."""
        return self._pages

    def __iter__(self) -> Iterator[TreeEntry]:
        if self._pages is None:
            return iter(self._entries.values())  # type: ignore[union-attr]
        return (entry for page in self._pages for entry in page)

    def __len__(self) -> int:
        return self._count if self._pages is not None else len(self._entries)  # type: ignore[arg-type]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tree) and self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"Tree({self.id[:12]}, {len(self)} entries)"

    def get(self, name: str) -> TreeEntry | None:
        """Return the entry called ``name``, or None."""
        if self._pages is None:
            return self._entries.get(name)  # type: ignore[union-attr]
        at = bisect.bisect_right(self._firsts, name.encode("utf-8")) - 1
        return self._pages[max(at, 0)].get(name)

    @property
    def names(self) -> list[str]:
        """Entry names in canonical order."""
        return [entry.name for entry in self]

    def updated(self, changes: Mapping[str, TreeEntry | None]) -> Tree:
        """A new tree with ``changes`` applied (name -> new entry, or None to remove it).

        For a paged tree only the pages around the changed names are rebuilt.
        """
        for name, entry in changes.items():
            if entry is not None and entry.name != name:
                raise Invalid(f"change for {name!r} carries an entry named {entry.name!r}")
        if not changes:
            return self
        if self._pages is None or self._size_after(changes) <= PAGE_MAX:
            merged = {e.name: e for e in self}
            for name, entry in changes.items():
                if entry is None:
                    merged.pop(name, None)
                else:
                    merged[name] = entry
            return Tree(merged.values())
        return Tree.from_trusted_pages(_repaginate(self._pages, self._firsts, changes))

    def _size_after(self, changes: Mapping[str, TreeEntry | None]) -> int:
        size = len(self)
        for name, entry in changes.items():
            present = self.get(name) is not None
            size += (entry is not None and not present) - (entry is None and present)
        return size

    @classmethod
    def from_trusted_pages(cls, pages: list[Tree]) -> Tree:
        """A paged tree from pages this module just cut (no canonical check)."""
        tree = cls.__new__(cls)
        tree._entries = None
        tree._set_pages(pages)
        return tree

    @cached_property
    def encoded(self) -> bytes:
        """The canonical bytes (for a paged tree: the list of its pages)."""
        if self._pages is not None:
            parts = [_PAGES_HEADER]
            for page, first in zip(self._pages, self._firsts, strict=True):
                parts.append(f"{len(page)} {page.id}\t".encode() + first + b"\0")
            return b"".join(parts)
        parts = [_HEADER]
        for e in self._entries.values():  # type: ignore[union-attr]
            parts.append(f"{e.kind.value} {e.size} {e.id}\t{e.name}\0".encode())
        return b"".join(parts)

    @cached_property
    def id(self) -> ObjectId:
        """SHA-256 of the canonical bytes."""
        return object_id_of(self.encoded)

    @classmethod
    def decode(cls, data: bytes) -> Tree:
        """Parse a plain tree's canonical bytes; ``Invalid`` if malformed or not canonical.

        A paged tree's bytes name its pages; load it with ``ObjectStore.get_tree``.
        """
        if data.startswith(_PAGES_HEADER):
            raise Invalid("a paged tree: load its pages through the object store")
        if not data.startswith(_HEADER):
            raise Invalid("not a tree: bad header")
        body = data[len(_HEADER) :]
        if body and not body.endswith(b"\0"):
            raise Invalid("not a tree: truncated entry")
        records = body.split(b"\0")[:-1] if body else []
        tree = cls(_decode_entry(record) for record in records)
        if tree.encoded != data:
            raise Invalid("tree is not in canonical form")
        return tree


def page_ids(data: bytes) -> list[ObjectId] | None:
    """The page ids named by a paged tree's bytes; None if ``data`` is a plain tree."""
    if not data.startswith(_PAGES_HEADER):
        return None
    body = data[len(_PAGES_HEADER) :]
    try:
        return [
            parse_object_id(rec.split(b"\t", 1)[0].split(b" ")[1].decode())
            for rec in body.split(b"\0")[:-1]
        ]
    except (IndexError, UnicodeDecodeError) as exc:
        raise Invalid("not a paged tree: bad page record") from exc


def _cuts_after(entry: TreeEntry, length: int) -> bool:
    if length >= PAGE_MAX:
        return True
    return length >= PAGE_MIN and zlib.crc32(entry.name.encode("utf-8")) & _CUT_MASK == 0


def _paginate(ordered: Iterable[TreeEntry]) -> list[list[TreeEntry]]:
    """Cut sorted entries into pages (the canonical rule, applied from the first entry)."""
    runs: list[list[TreeEntry]] = []
    current: list[TreeEntry] = []
    for entry in ordered:
        current.append(entry)
        if _cuts_after(entry, len(current)):
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _repaginate(
    pages: list[Tree], firsts: list[bytes], changes: Mapping[str, TreeEntry | None]
) -> list[Tree]:
    """Pages after ``changes``: rescan from the first touched page until the cuts line up."""
    pending = sorted(changes.items(), key=lambda item: item[0].encode("utf-8"))
    start = max(bisect.bisect_right(firsts, pending[0][0].encode("utf-8")) - 1, 0)
    out, current, at = pages[:start], [], start
    while at < len(pages):
        limit = firsts[at + 1] if at + 1 < len(pages) else None
        mine = [c for c in pending if limit is None or c[0].encode("utf-8") < limit]
        pending = pending[len(mine) :]
        for entry in _merge_page(pages[at], mine):
            current.append(entry)
            if _cuts_after(entry, len(current)):
                out.append(Tree._plain(current))
                current = []
        at += 1
        if not pending and not current:
            return out + pages[at:]
    if current:
        out.append(Tree._plain(current))
    return out


def _merge_page(page: Tree, changes: list[tuple[str, TreeEntry | None]]) -> list[TreeEntry]:
    merged = {e.name: e for e in page}
    for name, entry in changes:
        if entry is None:
            merged.pop(name, None)
        else:
            merged[name] = entry
    return sorted(merged.values(), key=lambda e: e.name.encode("utf-8"))


def _decode_entry(record: bytes) -> TreeEntry:
    try:
        meta, raw_name = record.split(b"\t", 1)
        kind, size, oid = meta.decode("ascii").split(" ")
        return TreeEntry(validate_name(raw_name), EntryKind(kind), parse_object_id(oid), int(size))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"not a tree: bad entry {record[:80]!r}") from exc
