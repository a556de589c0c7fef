"""Commits: a snapshot of a root tree with parents, author, time, message and extra headers.

Encoding (UTF-8)::

    aether-commit 1\n
    tree <id>\n
    parent <id>\n            (zero or more, in order)
    author <text>\n
    time <microseconds since the Unix epoch, UTC>\n
    meta <key> <value>\n     (zero or more, sorted by key; e.g. provenance of an import)
    \n
    <message>
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from aether_data.errors import Invalid
from aether_data.ids import ObjectId, object_id_of, parse_object_id

__all__ = ["Commit"]

_HEADER = "aether-commit 1\n"
_META_KEY = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")


def _check_line(label: str, value: str) -> None:
    if "\n" in value or "\r" in value or "\0" in value:
        raise Invalid(f"commit {label} must be a single line without NUL")


@dataclass(frozen=True)
class Commit:
    """An immutable commit object."""

    tree: ObjectId
    parents: tuple[ObjectId, ...]
    author: str
    time_us: int
    message: str
    meta: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parse_object_id(self.tree)
        for parent in self.parents:
            parse_object_id(parent)
        _check_line("author", self.author)
        for key, value in self.meta.items():
            if not _META_KEY.fullmatch(key):
                raise Invalid(f"commit meta key {key!r} must match {_META_KEY.pattern}")
            _check_line(f"meta {key}", value)
        object.__setattr__(self, "parents", tuple(self.parents))
        object.__setattr__(self, "meta", MappingProxyType(dict(sorted(self.meta.items()))))

    @cached_property
    def encoded(self) -> bytes:
        """The canonical bytes."""
        lines = [_HEADER, f"tree {self.tree}\n"]
        lines += [f"parent {p}\n" for p in self.parents]
        lines += [f"author {self.author}\n", f"time {self.time_us}\n"]
        lines += [f"meta {k} {v}\n" for k, v in self.meta.items()]
        lines += ["\n", self.message]
        return "".join(lines).encode("utf-8")

    @cached_property
    def id(self) -> ObjectId:
        """SHA-256 of the canonical bytes."""
        return object_id_of(self.encoded)

    @classmethod
    def decode(cls, data: bytes) -> Commit:
        """Parse canonical bytes; ``Invalid`` if they are not a well-formed commit."""
        try:
            text = data.decode("utf-8")
            head, message = text.split("\n\n", 1)
            commit = cls._from_header_lines(head.split("\n"), message)
        except (ValueError, KeyError) as exc:
            raise Invalid(f"not a commit: {exc}") from exc
        if commit.encoded != data:
            raise Invalid("commit is not in canonical form")
        return commit

    @classmethod
    def _from_header_lines(cls, lines: list[str], message: str) -> Commit:
        if lines[0] + "\n" != _HEADER:
            raise ValueError("bad header")
        fields: dict[str, list[str]] = {"parent": [], "meta": []}
        for line in lines[1:]:
            key, value = line.split(" ", 1)
            fields.setdefault(key, []).append(value)
        meta = dict(item.split(" ", 1) for item in fields["meta"])
        (tree,), (author,), (time_us,) = fields["tree"], fields["author"], fields["time"]
        parents = tuple(ObjectId(p) for p in fields["parent"])
        return cls(ObjectId(tree), parents, author, int(time_us), message, meta)
