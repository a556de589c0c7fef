"""Parsing ``aether://SESSION/path`` arguments and building the workspace objects for a verb."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aether_data.cli._progress import byte_progress
from aether_data.errors import Conflict, Invalid, NotFound
from aether_data.ids import ObjectId, SessionId
from aether_data.service import Services
from aether_data.storage import ObjectStore
from aether_data.workspace import ingest_directory
from aether_data.workspace.export import export_folder, export_tar, export_url, export_zip
from aether_data.workspace.importers import (
    ImportResult,
    import_archive,
    import_folder,
    import_git,
    import_url,
)
from aether_data.workspace.sessions import Sessions
from aether_data.workspace.sources import Sources
from aether_data.workspace.templates import materialize_template

__all__ = ["SCHEME", "Target", "export_to", "parse_target", "tree_from", "workspace"]

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


def export_to(
    services: Services,
    tree: ObjectId,
    destination: str,
    fmt: str | None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write ``tree`` to a folder, an archive file, stdout (``-``) or a URL."""
    fmt = fmt or _format_of(destination)
    store = services.store
    if destination == "-":
        export_tar(store, tree, sys.stdout.buffer, "gz" if fmt == "tar.gz" else None)
    elif "://" in destination:
        export_url(store, tree, destination, progress=progress)
    elif fmt == "folder":
        export_folder(store, tree, Path(destination), progress=progress)
    else:
        _export_file(store, tree, Path(destination), fmt)


def _export_file(store: ObjectStore, tree: ObjectId, path: Path, fmt: str) -> None:
    if path.exists():
        raise Conflict(f"{path} already exists; choose a new file name")
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out:
            if fmt == "zip":
                export_zip(store, tree, out)
            else:
                export_tar(store, tree, out, "gz" if fmt == "tar.gz" else None)
        partial.rename(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _format_of(destination: str) -> str:
    for suffix, fmt in (
        (".tar.gz", "tar.gz"),
        (".tgz", "tar.gz"),
        (".tar", "tar"),
        (".zip", "zip"),
    ):
        if destination.endswith(suffix):
            return fmt
    return "tar" if destination == "-" else "folder"
