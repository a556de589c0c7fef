"""Schema comparison: added, dropped, renamed (matched by data), type-changed and reordered
columns, and the type two differently typed columns are compared in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._sql import Column, one, quote, scalar

__all__ = ["SchemaDiff", "common_type", "compare_schemas"]

_MAX_RENAME_PAIRS = 64


@dataclass(frozen=True, slots=True)
class SchemaDiff:
    """How the columns changed from ``before`` to ``after``.

    ``renamed`` pairs (old name, new name) of a dropped and an added column whose values are
    the same multiset; ``type_changed`` holds (name, old type, new type); ``reordered`` says
    whether the columns both sides share (renames followed) come in another order.
    """

    before: tuple[Column, ...]
    after: tuple[Column, ...]
    added: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    type_changed: tuple[tuple[str, str, str], ...] = ()
    reordered: bool = False

    @property
    def unchanged(self) -> bool:
        """Whether nothing about the columns changed."""
        changes = (self.added, self.dropped, self.renamed, self.type_changed)
        return not any(changes) and not self.reordered

    def pairs(self) -> list[tuple[str, str]]:
        """The columns compared row by row: (name before, name after), in the after order."""
        old_of = {new: old for old, new in self.renamed}
        before = {c.name for c in self.before}
        out = []
        for column in self.after:
            old = old_of.get(column.name, column.name)
            if old in before:
                out.append((old, column.name))
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {
            "before": [{"name": c.name, "type": c.type} for c in self.before],
            "after": [{"name": c.name, "type": c.type} for c in self.after],
            "added": list(self.added),
            "dropped": list(self.dropped),
            "renamed": [{"from": old, "to": new} for old, new in self.renamed],
            "type_changed": [{"name": n, "from": o, "to": t} for n, o, t in self.type_changed],
            "reordered": self.reordered,
        }


def compare_schemas(con: Any, before: tuple[Column, ...], after: tuple[Column, ...]) -> SchemaDiff:
    """Compare the columns of views ``a`` (``before``) and ``b`` (``after``)."""
    old = {c.name: c for c in before}
    new = {c.name: c for c in after}
    dropped = [c.name for c in before if c.name not in new]
    added = [c.name for c in after if c.name not in old]
    renamed = _renames(con, [old[n] for n in dropped], [new[n] for n in added])
    gone = {o for o, _ in renamed} | {n for _, n in renamed}
    changed = tuple(
        (c.name, old[c.name].type, c.type)
        for c in after
        if c.name in old and old[c.name].type != c.type
    )
    draft = SchemaDiff(before, after, renamed=tuple(renamed))
    order_before = [o for o in (c.name for c in before) if o in {p[0] for p in draft.pairs()}]
    order_after = [o for o, _ in draft.pairs()]
    return SchemaDiff(
        before,
        after,
        added=tuple(n for n in added if n not in gone),
        dropped=tuple(n for n in dropped if n not in gone),
        renamed=tuple(renamed),
        type_changed=changed,
        reordered=order_before != order_after,
    )


def _renames(con: Any, dropped: list[Column], added: list[Column]) -> list[tuple[str, str]]:
    """Pair dropped with added columns of the same type whose values are the same multiset
    (a fingerprint: count and sum of value hashes), each used once, in column order."""
    pairs = [(d, a) for d in dropped for a in added if d.type == a.type][:_MAX_RENAME_PAIRS]
    if not pairs:
        return []
    prints_a = _fingerprints(con, "a", {d.name for d, _ in pairs})
    prints_b = _fingerprints(con, "b", {a.name for _, a in pairs})
    found, used = [], set()
    for d, a in pairs:
        if d.name in used or a.name in used:
            continue
        if prints_a[d.name] == prints_b[a.name]:
            found.append((d.name, a.name))
            used |= {d.name, a.name}
    return found


def _fingerprints(con: Any, view: str, names: set[str]) -> dict[str, Any]:
    ordered = sorted(names)
    parts = ", ".join(f"sum(hash({quote(n)}))::HUGEINT" for n in ordered)
    row = one(con, f"SELECT count(*), {parts} FROM {quote(view)}")
    return {name: (row[0], row[i + 1]) for i, name in enumerate(ordered)}


def common_type(con: Any, first: str, second: str) -> str:
    """The type to compare values of types ``first`` and ``second`` in: the wider of the two
    when DuckDB has one (INTEGER, BIGINT -> BIGINT), else VARCHAR."""
    if first == second:
        return first
    try:
        return scalar(con, f"SELECT typeof(coalesce(NULL::{first}, NULL::{second}))")
    except Exception:  # DuckDB refuses to mix the types: compare their text
        return "VARCHAR"
