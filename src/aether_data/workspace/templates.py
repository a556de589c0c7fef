"""Sample workspace templates: small checked-in text files plus datasets from a seeded generator.

A template is a folder under ``sample_workspaces/``. Its notebooks, SQL migrations, configs and
README are checked in; its datasets are not (no large binaries in git) and are made here, from a
fixed seed with pure pyarrow, so every materialization holds the same bytes.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

from aether_data.errors import Conflict, NotFound

__all__ = ["DEFAULT_ROOT", "list_templates", "materialize_template"]

_PACKAGED = Path(__file__).resolve().parents[1] / "_sample_workspaces"
DEFAULT_ROOT = (
    _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parents[3] / "sample_workspaces"
)
"""The templates: shipped inside the wheel, or the repository's ``sample_workspaces/`` folder
when running from a source checkout (an editable install)."""

_IGNORED = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc", ".DS_Store")


def list_templates(root: Path | None = None) -> list[str]:
    """Names of the templates under ``root`` (default ``DEFAULT_ROOT``), sorted.

    Raises:
        NotFound: ``root`` is not a folder (for instance in an installed wheel, which does not
            ship ``sample_workspaces/``); the message names the folder.
    """
    folder = _root(root)
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def materialize_template(name: str, dest: Path, *, root: Path | None = None) -> Path:
    """Copy template ``name`` into ``dest`` and generate its datasets there; return ``dest``.

    The result is built in a temporary sibling folder and renamed into place, so a failure
    leaves nothing behind. Two materializations of one template hold byte-identical files.

    Args:
        name: A name from ``list_templates(root)``.
        dest: A folder that does not exist yet (missing parents are made) or is empty.
        root: The folder holding the templates (default ``DEFAULT_ROOT``).

    Raises:
        NotFound: No template ``name`` (the message lists those there are), or no ``root``.
        Conflict: ``dest`` is a file or a folder that is not empty.
    """
    available = list_templates(root)
    if name not in available:
        raise NotFound(f"no template {name!r}; available: {', '.join(available) or 'none'}")
    dest = Path(dest)
    _check_destination(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_folder(dest)
    try:
        shutil.copytree(_root(root) / name, staging, ignore=_IGNORED, dirs_exist_ok=True)
        _generate_datasets(name, staging)
        _move_into_place(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest


def _root(root: Path | None) -> Path:
    folder = Path(root) if root is not None else DEFAULT_ROOT
    if not folder.is_dir():
        raise NotFound(f"templates folder {folder} does not exist")
    return folder


def _check_destination(dest: Path) -> None:
    if dest.is_dir() and any(dest.iterdir()):
        raise Conflict(f"destination {dest} is not empty")
    if dest.exists() and not dest.is_dir():
        raise Conflict(f"destination {dest} exists and is not a folder")


def _staging_folder(dest: Path) -> Path:
    # Not tempfile.mkdtemp: its 0700 mode would end up on the result; mkdir honours the umask.
    staging = dest.parent / f".{dest.name}.{secrets.token_hex(8)}.tmp"
    staging.mkdir()
    return staging


def _move_into_place(staging: Path, dest: Path) -> None:
    try:
        # Replaces an empty folder; refuses one that was filled in the meantime.
        os.replace(staging, dest)
    except OSError as exc:
        raise Conflict(f"destination {dest} is not empty") from exc


def _generate_datasets(name: str, staging: Path) -> None:
    # pyarrow takes a quarter of a second to import: only a template with datasets pays it.
    from aether_data.workspace import _template_data  # noqa: PLC0415

    _template_data.GENERATORS.get(name, _no_datasets)(staging)


def _no_datasets(_: Path) -> None:
    """Templates without generated datasets."""
