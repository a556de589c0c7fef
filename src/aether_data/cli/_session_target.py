"""``aether://SESSION/path`` arguments, and the local fast paths of embedded mode: importing
an origin straight into the object store and exporting a tree to a folder or a URL."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aether_data.cli._progress import byte_progress
from aether_data.errors import Invalid, NotFound
from aether_data.ids import ObjectId, SessionId
from aether_data.service import Services
from aether_data.workspace import ingest_directory
from aether_data.workspace.export import export_folder, export_url
from aether_data.workspace.importers import (
    ImportResult,
    import_archive,
    import_folder,
    import_git,
    import_url,
)
from aether_data.workspace.templates import materialize_template

__all__ = ["SCHEME", "Target", "export_local", "is_url", "parse_target", "tree_from"]

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


def is_url(origin: str) -> bool:
    """Whether ``origin`` is a URL or ``git+...`` rather than a local folder or archive."""
    return origin.startswith("git+") or "://" in origin


def tree_from(
    services: Services,
    origin: str | None,
    template: str | None,
    *,
    git_ref: str = "HEAD",
    as_json: bool = False,
) -> tuple[ObjectId | None, dict[str, str]]:
    """Store what ``--from`` or ``--template`` names; return its tree id and provenance.

    ``origin`` is a local folder, a tar or zip archive, an fsspec URL (``s3://``, ``https://``,
    ``file://``...) or ``git+`` followed by a repository path or URL.
    """
    if origin is not None and template is not None:
        raise Invalid("give --from or --template, not both")
    if template is not None:
        with tempfile.TemporaryDirectory() as scratch:
            folder = materialize_template(template, Path(scratch) / "t")
            return ingest_directory(services.store, folder), {"template": template}
    if origin is None:
        return None, {}
    with byte_progress(f"importing {origin}", None, as_json) as advance:
        result = _import(services, origin, git_ref, advance)
    return result.tree_id, result.provenance


def _import(services: Services, origin: str, git_ref: str, advance) -> ImportResult:
    store = services.store
    if origin.startswith("git+"):
        return import_git(store, origin[4:], git_ref, progress=advance)
    if "://" in origin:
        return import_url(store, origin, progress=advance)
    path = Path(origin)
    if path.is_dir():
        return import_folder(store, path, progress=advance)
    if path.is_file():
        return import_archive(store, path, progress=advance)
    raise NotFound(f"{origin!r} is not a folder, an archive, a URL or git+REPOSITORY")


def export_local(
    services: Services,
    tree: ObjectId,
    destination: str,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write ``tree`` from the local store to a new folder or under a URL."""
    if is_url(destination):
        export_url(services.store, tree, destination, progress=progress)
    else:
        export_folder(services.store, tree, Path(destination), progress=progress)
