"""The workspace layer: ingest, fsck and gc today; sessions, sources and their lifecycle next."""

from aether_data.workspace.fsck import FsckReport, Problem, fsck
from aether_data.workspace.gc import DEFAULT_GRACE, GcReport, gc
from aether_data.workspace.ingest import ingest_directory

__all__ = [
    "DEFAULT_GRACE",
    "FsckReport",
    "GcReport",
    "Problem",
    "fsck",
    "gc",
    "ingest_directory",
]
