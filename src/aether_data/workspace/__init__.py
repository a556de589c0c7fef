"""The workspace layer: sessions and sources, imports and exports, diff and merge, fsck and gc."""

from aether_data.workspace.diff import Change, ChangeStatus, diff_trees
from aether_data.workspace.export import export_folder, export_tar, export_url, export_zip
from aether_data.workspace.fsck import FsckReport, Problem, fsck
from aether_data.workspace.gc import DEFAULT_GRACE, GcReport, gc
from aether_data.workspace.importers import (
    ImportResult,
    import_archive,
    import_folder,
    import_git,
    import_url,
)
from aether_data.workspace.ingest import ingest_directory
from aether_data.workspace.merge import MergeConflict, MergeResult, merge_trees
from aether_data.workspace.sessions import CREATE_ONLY, ManifestEntry, Sessions
from aether_data.workspace.sources import CommitOutcome, Sources

__all__ = [
    "CREATE_ONLY",
    "DEFAULT_GRACE",
    "Change",
    "ChangeStatus",
    "CommitOutcome",
    "FsckReport",
    "GcReport",
    "ImportResult",
    "ManifestEntry",
    "MergeConflict",
    "MergeResult",
    "Problem",
    "Sessions",
    "Sources",
    "diff_trees",
    "export_folder",
    "export_tar",
    "export_url",
    "export_zip",
    "fsck",
    "gc",
    "import_archive",
    "import_folder",
    "import_git",
    "import_url",
    "ingest_directory",
    "merge_trees",
]
