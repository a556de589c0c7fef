"""Parsing ``aether://SESSION/path`` arguments and building the workspace objects for a verb."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from aether_data.errors import Invalid
from aether_data.ids import ObjectId, SessionId
from aether_data.service import Services
from aether_data.workspace import ingest_directory
from aether_data.workspace.sessions import Sessions
from aether_data.workspace.sources import Sources
from aether_data.workspace.templates import materialize_template

__all__ = ["SCHEME", "Target", "parse_target", "tree_from", "workspace"]

SCHEME = "aether://"


@dataclass(frozen=True)
class Target:
    """A path inside a session."""

    session: SessionId
    path: str


def parse_target(text: str, *, allow_root: bool = True) -> Target:
    """``aether://SESSION/a/b`` -> Target; ``Invalid`` for anything else."""
    if not text.startswith(SCHEME):
        raise Invalid(f"{text!r} is not a session path; write aether://SESSION/path")
    session, _, path = text[len(SCHEME) :].partition("/")
    if not session:
        raise Invalid(f"{text!r} names no session")
    if not path and not allow_root:
        raise Invalid(f"{text!r} names no file inside the session")
    return Target(SessionId(session), path)


def workspace(services: Services) -> tuple[Sessions, Sources]:
    """The sessions and sources of the configured backends."""
    return Sessions(services.store, services.catalog), Sources(services.store, services.catalog)


def tree_from(services: Services, folder: Path | None, template: str | None) -> ObjectId | None:
    """Store a local folder or a materialized template and return its tree id."""
    if folder is not None and template is not None:
        raise Invalid("give --from or --template, not both")
    if folder is not None:
        return ingest_directory(services.store, folder)
    if template is None:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        return ingest_directory(services.store, materialize_template(template, Path(scratch) / "t"))
