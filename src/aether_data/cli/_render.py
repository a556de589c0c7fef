"""How verbs print the values of the workspace API."""

from __future__ import annotations

from aether_data.wire import Change, Session

__all__ = ["change_line", "session_data"]


def session_data(session: Session) -> dict:
    """The JSON of a session, as every session verb prints it."""
    return {
        "id": session.id,
        "name": session.name,
        "status": session.status,
        "source": session.source,
        "ref": session.ref,
        "base_commit": session.base_commit,
        "base_tree": session.base_tree,
        "tags": list(session.tags),
        "created_at": session.created_at.isoformat(),
        "updated_at": session.updated_at.isoformat(),
        "version": session.version,
    }


def change_line(change: Change) -> str:
    """One change as ``status path`` (``old -> new`` for a rename)."""
    moved = f"{change.old_path} -> " if change.old_path else ""
    return f"{change.status:9} {moved}{change.path}"
