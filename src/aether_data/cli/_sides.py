"""The two sides ``aether diff OLD NEW`` compares: SESSION, SESSION:CHECKPOINT, SOURCE[@REF],
or a commit or tree id. The server compares them when NEW is a session and OLD something its
``against`` names; other pairs are compared on the machine holding the data."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aether_data.cli._connect import Connection
from aether_data.errors import Invalid
from aether_data.ids import CheckpointName, ObjectId, SessionId
from aether_data.objects import Kind
from aether_data.service import Services
from aether_data.workspace.sources import parse_source_ref

__all__ = ["Sides", "diff_sides", "resolve_tree"]

_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Sides:
    """OLD and NEW as the workspace compares them: ``session`` and ``against`` for its
    ``diff`` (and the ``DatasetsAPI``'s), or, on the machine holding the data, the two
    ``trees`` themselves."""

    session: str | None = None
    against: str | None = None
    trees: tuple[ObjectId, ObjectId] | None = None


def diff_sides(conn: Connection, old: str, new: str) -> Sides:
    """How to compare OLD with NEW over ``conn``; ``Invalid`` for pairs a server cannot
    compare."""
    against = _against(old, new)
    if against is not None:
        return Sides(session=new, against=against)
    if conn.services is None:
        raise Invalid(
            "against a server, diff compares a SESSION with another SESSION, one of its own "
            "checkpoints or a SOURCE[@REF] (aether diff OLD SESSION); commit and tree ids and "
            "other sessions' checkpoints are compared on the machine holding the data"
        )
    services = conn.services
    return Sides(trees=(resolve_tree(services, old), resolve_tree(services, new)))


def resolve_tree(services: Services, spec: str) -> ObjectId:
    """The tree named by SESSION, SESSION:CHECKPOINT, SOURCE[@REF], or a commit or tree id."""
    if _HEX.fullmatch(spec):
        oid = ObjectId(spec)
        kind = services.store.kind(oid)
        if kind is Kind.COMMIT:
            return services.store.get_commit(oid).tree
        if kind is Kind.TREE:
            return oid
        raise Invalid(f"{spec} is a {kind.name.lower()}, not a commit or tree")
    if _is_session(spec):
        session, _, checkpoint = spec.partition(":")
        if checkpoint:
            cp = services.catalog.get_checkpoint(SessionId(session), CheckpointName(checkpoint))
            return cp.tree_id
        return services.sessions.tree(SessionId(session))
    name, ref = parse_source_ref(spec)
    return services.sources.resolve(name, ref)[1]


def _is_session(spec: str) -> bool:
    return spec.startswith("s-")


def _against(old: str, new: str) -> str | None:
    """The ``against`` of ``WorkspaceAPI.diff`` for OLD -> NEW when NEW is a session's current
    tree and OLD another session, one of NEW's checkpoints or SOURCE[@REF]; None otherwise."""
    if not _is_session(new) or ":" in new or _HEX.fullmatch(old):
        return None
    if not _is_session(old):
        name, ref = parse_source_ref(old)
        return f"source:{name}" + (f"@{ref}" if ref else "")
    session, _, checkpoint = old.partition(":")
    if not checkpoint:
        return f"session:{session}"
    return checkpoint if session == new else None
