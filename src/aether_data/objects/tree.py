"""Trees: one directory listing, canonically encoded.

Encoding (UTF-8 header line, then one record per entry, sorted by the name's UTF-8 bytes)::

    aether-tree 1\n
    <kind> <size> <object id>\t<name>\0   (repeated)

``kind`` is ``file``, ``exec``, ``dir`` or ``link``; ``size`` is the byte size of the file or link
target (0 for ``dir``). Names never contain NUL or ``/``, so each record is unambiguous, and sorting
makes the bytes (and the id) independent of insertion order.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from aether_data.errors import Invalid
from aether_data.ids import ObjectId, object_id_of, parse_object_id

__all__ = ["EntryKind", "Tree", "TreeEntry", "validate_name"]

_HEADER = b"aether-tree 1\n"
MAX_NAME_BYTES = 255


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
    """An immutable directory listing; equal content means equal bytes and equal id."""

    def __init__(self, entries: Iterable[TreeEntry] = ()) -> None:
        by_name: dict[str, TreeEntry] = {}
        for entry in entries:
            if entry.name in by_name:
                raise Invalid(f"duplicate name in tree: {entry.name!r}")
            by_name[entry.name] = entry
        ordered = sorted(by_name.values(), key=lambda e: e.name.encode("utf-8"))
        self._entries: Mapping[str, TreeEntry] = {e.name: e for e in ordered}

    def __iter__(self) -> Iterator[TreeEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tree) and self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"Tree({self.id[:12]}, {len(self)} entries)"

    def get(self, name: str) -> TreeEntry | None:
        """Return the entry called ``name``, or None."""
        return self._entries.get(name)

    @property
    def names(self) -> list[str]:
        """Entry names in canonical order."""
        return list(self._entries)

    @cached_property
    def encoded(self) -> bytes:
        """The canonical bytes."""
        parts = [_HEADER]
        for e in self._entries.values():
            parts.append(f"{e.kind.value} {e.size} {e.id}\t{e.name}\0".encode())
        return b"".join(parts)

    @cached_property
    def id(self) -> ObjectId:
        """SHA-256 of the canonical bytes."""
        return object_id_of(self.encoded)

    @classmethod
    def decode(cls, data: bytes) -> Tree:
        """Parse canonical bytes; ``Invalid`` if they are not a well-formed, canonical tree."""
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


def _decode_entry(record: bytes) -> TreeEntry:
    try:
        meta, raw_name = record.split(b"\t", 1)
        kind, size, oid = meta.decode("ascii").split(" ")
        return TreeEntry(validate_name(raw_name), EntryKind(kind), parse_object_id(oid), int(size))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"not a tree: bad entry {record[:80]!r}") from exc
