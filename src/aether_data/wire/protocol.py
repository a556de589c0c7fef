"""``WorkspaceAPI``: the one interface every surface (CLI, fsspec, FUSE, Jupyter) talks to.

Two implementations: the embedded workspace (``aether_data.service.EmbeddedWorkspace``, no
server) and the HTTP client (``aether_data.client.AetherClient``). One conformance suite runs
against both. Each method names its HTTP route; errors are the ``aether_data.errors`` families
(on HTTP: RFC 9457 problem+json, see ``wire.problems``).

Paths inside a session are ``/``-separated and relative (``data/a.csv``); ``""`` is the root.
"Expected" preconditions are content hashes (a file's id) or ``CREATE_ONLY``.

HTTP routes (all under ``/v1``, bearer token, JSON bodies are the ``*Request`` structs):

======================================================  ==========================  ==============
route                                                   method                      scope
======================================================  ==========================  ==============
POST   /sessions                                        create_session              session.write
POST   /sessions/upload?name=&tags=  (tar/tar.gz/zip)   upload_session              session.write
GET    /sessions?status=&source=&tag=&cursor=&limit=    list_sessions               session.read
GET    /sessions/{id}                                   get_session                 session.read
POST   /sessions/{id}/fork                              fork                        session.write
GET    /sessions/{id}/checkpoints?cursor=&limit=        list_checkpoints            session.read
POST   /sessions/{id}/checkpoints                       checkpoint                  session.write
POST   /sessions/{id}/restore                           restore                     session.write
POST   /sessions/{id}/merge-from                        merge_from                  session.merge
POST   /sessions/{id}/commit                            commit                      session.merge
POST   /sessions/{id}/resolve                           resolve                     session.merge
POST   /sessions/{id}/promote                           promote                     session.merge
POST   /sessions/{id}/archive                           archive                     session.write
POST   /sessions/{id}/retire                            retire                      session.delete
GET    /sessions/{id}/manifest?prefix=&cursor=&limit=   manifest                    session.read
       &datasets=
GET    /sessions/{id}/diff?against=&prefix=&cursor=&... diff                        session.read
       &datasets=
GET    /sessions/{id}/export?format=tar|tar.gz|zip      export                      session.read
GET    /sessions/{id}/entry?path=&at=                   stat                        session.read
GET    /sessions/{id}/entries?path=&at=&cursor=&limit=  listdir                     session.read
GET    /sessions/{id}/files/{path}?at=  (Range, ETag)   read / download             session.read
HEAD   /sessions/{id}/files/{path}?at=                  stat                        session.read
PUT    /sessions/{id}/files/{path}?executable=          write                       session.write
       (If-Match: "<id>" | If-None-Match: *)
DELETE /sessions/{id}/files/{path}?recursive=           delete                      session.delete
       (If-Match: "<id>")
POST   /sessions/{id}/dirs                              mkdir                       session.write
DELETE /sessions/{id}/dirs/{path}                       rmdir                       session.delete
POST   /sessions/{id}/symlinks                          symlink                     session.write
POST   /sessions/{id}/rename                            rename                      session.write
POST   /sessions/{id}/batch                             batch                       session.write
POST   /sources                                         create_source               source.write
GET    /sources?cursor=&limit=                          list_sources                source.read
GET    /sources/{name}                                  get_source                  source.read
GET    /sources/{name}/refs?cursor=&limit=              list_refs                   source.read
POST   /sources/{name}/refs                             create_ref                  source.write
GET    /sources/{name}/commits?ref=&cursor=&limit=      log                         source.read
POST   /sources/{name}/imports          (202)           start_import                source.import
GET    /sources/{name}/imports?cursor=&limit=           list_imports                source.read
GET    /sources/{name}/imports/{job}                    get_import                  source.read
======================================================  ==========================  ==============

Not part of the protocol: ``GET /health``, ``GET /metrics`` (Prometheus), ``GET /schema``
(OpenAPI), ``GET /v1/whoami``, and token administration (``/v1/tokens``, scope ``admin``).
A missing or unknown token gets 401, a missing scope 403, another tenant's session or source
404 (never 403: existence does not leak).

The ``list_*`` methods return one ``Page``; ``listdir`` and ``diff`` return whole lists (the
client follows the cursors for you).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, BinaryIO, Protocol, runtime_checkable

from aether_data.wire.models import (
    BatchOperation,
    Change,
    Checkpoint,
    Commit,
    CommitResult,
    Entry,
    ExportFormat,
    ImportJob,
    ManifestItem,
    Page,
    Ref,
    Session,
    Source,
)

__all__ = ["CREATE_ONLY", "WorkspaceAPI"]

CREATE_ONLY = "create-only"
"""Pass as ``expected`` to refuse a write when the path already exists."""


@runtime_checkable
class WorkspaceAPI(Protocol):
    """Sessions, their files, and sources, for one tenant."""

    # ----------------------------------------------------------------- sessions
    def create_session(
        self,
        *,
        source: str | None = None,
        ref: str | None = None,
        template: str | None = None,
        checkpoint: tuple[str, str] | None = None,
        name: str | None = None,
        tags: Sequence[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> Session:
        """A new ACTIVE session from a source (at ``ref``, default branch when None), a
        template, a ``(session id, checkpoint name)``, or empty. ``Invalid`` for two origins."""
        ...

    def upload_session(
        self, archive: BinaryIO, *, name: str | None = None, tags: Sequence[str] = ()
    ) -> Session:
        """A new session holding the files of a tar, tar.gz or zip archive (read as a stream)."""
        ...

    def get_session(self, session_id: str) -> Session:
        """The session; ``NotFound`` when unknown (or another tenant's)."""
        ...

    def list_sessions(
        self,
        *,
        status: str | None = None,
        source: str | None = None,
        tag: str | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[Session]:
        """The tenant's sessions, oldest first, filtered, one page."""
        ...

    def fork(self, session_id: str, *, name: str | None = None) -> Session:
        """A new session with this one's current tree."""
        ...

    def checkpoint(
        self, session_id: str, name: str | None = None, *, message: str = ""
    ) -> Checkpoint:
        """An immutable snapshot of the session's tree (``Conflict`` if the name is taken)."""
        ...

    def list_checkpoints(
        self, session_id: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Checkpoint]:
        """The session's checkpoints, oldest first."""
        ...

    def restore(self, session_id: str, checkpoint: str) -> Session:
        """Make the session's tree the checkpoint's (the state before is checkpointed)."""
        ...

    def merge_from(self, session_id: str, other: str) -> Session:
        """Merge what ``other`` changed into this session; ``Conflict`` lists clashing paths."""
        ...

    def commit(
        self, session_id: str, *, message: str, author: str = "aether", branch: str | None = None
    ) -> CommitResult:
        """Commit the session to a branch of its source (merging if the branch moved)."""
        ...

    def resolve(
        self,
        session_id: str,
        take: Mapping[str, str],
        *,
        message: str,
        author: str = "aether",
    ) -> CommitResult:
        """Commit a session in CONFLICT, taking ``session`` or ``branch`` for each path."""
        ...

    def promote(
        self,
        session_id: str,
        *,
        source: str | None = None,
        branch: str | None = None,
        message: str = "promoted from a session",
        author: str = "aether",
    ) -> Ref:
        """Turn the session into a new source or a new branch of its source."""
        ...

    def archive(self, session_id: str) -> Session:
        """Make the session read-only."""
        ...

    def retire(self, session_id: str) -> Session:
        """Drop the session's working state (checkpoints stay)."""
        ...

    def manifest(
        self,
        session_id: str,
        *,
        prefix: str = "",
        cursor: str | None = None,
        limit: int = 1000,
        datasets: bool = False,
    ) -> Page[ManifestItem]:
        """Files, links and folders under ``prefix`` in depth-first path order. ``datasets``:
        each dataset file's item carries its schema (``DatasetHint``), from the profiles kept
        by content hash; those missing are computed (and kept) first."""
        ...

    def diff(
        self,
        session_id: str,
        *,
        against: str | None = None,
        prefix: str = "",
        datasets: bool = False,
    ) -> list[Change]:
        """What changed under ``prefix`` (the whole tree when empty), compared with:
        the session's origin (``against`` None), one of its checkpoints (its name),
        ``session:<id>`` (another session's current tree) or ``source:<name>[@<ref>]``
        (a source's branch, tag or commit; the default branch without ``@``).
        ``datasets``: each dataset file whose content changed on both sides carries what
        changed in its data (``Change.dataset``, as ``DatasetsAPI.diff_dataset`` finds it,
        without rows), or why it could not be compared (``Change.dataset_error``); a bad file
        never fails the whole diff."""
        ...

    def export(self, session_id: str, out: BinaryIO, *, format: ExportFormat = "tar") -> None:
        """Write the session's tree to ``out`` as a tar, tar.gz or zip archive (streamed)."""
        ...

    # ----------------------------------------------------------------- files
    def stat(self, session_id: str, path: str, *, at: str | None = None) -> Entry:
        """The entry at ``path`` (``""`` is the root folder); ``NotFound`` if none.

        ``at`` (here and in ``listdir``, ``read``, ``download``): read the session's tree as
        it was at one of its checkpoints (by name) or at a commit id reachable from the
        commit it started from, instead of as it is now (None); no session is made, and it
        works for ARCHIVED and RETIRED sessions too. ``NotFound`` names an unknown ``at``,
        ``Invalid`` a malformed one."""
        ...

    def listdir(self, session_id: str, path: str = "", *, at: str | None = None) -> list[Entry]:
        """The entries of a folder, by name."""
        ...

    def read(
        self,
        session_id: str,
        path: str,
        start: int = 0,
        length: int = -1,
        *,
        at: str | None = None,
    ) -> bytes:
        """Bytes of a file from ``start`` (``length`` of them; all when negative)."""
        ...

    def download(
        self, session_id: str, path: str, out: BinaryIO, *, at: str | None = None
    ) -> Entry:
        """Stream a whole file into ``out``."""
        ...

    def write(
        self,
        session_id: str,
        path: str,
        data: bytes | BinaryIO,
        *,
        expected: str | None = None,
        executable: bool = False,
    ) -> Entry:
        """Store ``data`` (bytes or a stream) at ``path``, creating parent folders."""
        ...

    def delete(
        self,
        session_id: str,
        path: str,
        *,
        expected: str | None = None,
        recursive: bool = False,
    ) -> None:
        """Delete a file or link (a folder only when ``recursive`` or empty)."""
        ...

    def mkdir(self, session_id: str, path: str, *, exist_ok: bool = False) -> None:
        """Create a folder and its parents."""
        ...

    def rmdir(self, session_id: str, path: str) -> None:
        """Remove an empty folder."""
        ...

    def rename(
        self,
        session_id: str,
        source: str,
        destination: str,
        *,
        overwrite: bool = False,
        expected: str | None = None,
    ) -> None:
        """Move a file, link or folder inside the session."""
        ...

    def symlink(self, session_id: str, path: str, target: str) -> Entry:
        """A link at ``path`` to a relative ``target`` that stays inside the session."""
        ...

    def batch(self, session_id: str, operations: Iterable[BatchOperation]) -> Session:
        """Apply the operations atomically: all land or none."""
        ...

    # ----------------------------------------------------------------- sources
    def create_source(self, name: str, *, description: str = "") -> Source:
        """A new, empty source (its ``main`` branch holds one empty commit)."""
        ...

    def get_source(self, name: str) -> Source:
        """The source; ``NotFound`` when unknown (or another tenant's)."""
        ...

    def list_sources(self, *, cursor: str | None = None, limit: int = 100) -> Page[Source]:
        """The tenant's sources by name."""
        ...

    def list_refs(self, source: str, *, cursor: str | None = None, limit: int = 100) -> Page[Ref]:
        """Branches and tags of a source, by name."""
        ...

    def create_ref(
        self, source: str, name: str, *, at: str | None = None, kind: str = "branch"
    ) -> Ref:
        """A new branch or tag at ``at`` (a ref or commit id; default branch when None)."""
        ...

    def log(
        self,
        source: str,
        ref: str | None = None,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Commit]:
        """Commits reachable from ``source@ref`` (first parents), newest first."""
        ...

    def start_import(
        self,
        source: str,
        origin: str,
        *,
        branch: str | None = None,
        git_ref: str = "HEAD",
        message: str | None = None,
    ) -> ImportJob:
        """Queue an import of ``origin`` into ``branch``; poll ``get_import`` for its end."""
        ...

    def get_import(self, source: str, job_id: str) -> ImportJob:
        """An import job."""
        ...

    def list_imports(
        self, source: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[ImportJob]:
        """A source's import jobs, oldest first."""
        ...
