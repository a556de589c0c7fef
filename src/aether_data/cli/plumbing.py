"""Low-level verbs on objects: store a folder as a tree, list trees, print and describe objects.

Like git's plumbing, a tree written here is named by nothing in the catalog until a later verb
(commit, session) refers to it; ``aether gc`` may remove it once the grace period has passed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aether_data.cli._app import cli, emit, json_option, pass_services
from aether_data.cli._progress import byte_progress
from aether_data.ids import ObjectId, parse_object_id
from aether_data.objects import EntryKind, Kind
from aether_data.service import Services
from aether_data.storage import ObjectStore
from aether_data.workspace import ingest_directory

__all__ = ["object_group", "tree_group"]


def _object_id(_ctx: click.Context, _param: click.Parameter, value: str) -> ObjectId:
    return parse_object_id(value)


@cli.group("tree")
def tree_group() -> None:
    """Store folders as trees and list trees."""


@tree_group.command("write")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@json_option
@pass_services
def tree_write(services: Services, folder: Path, as_json: bool) -> None:
    """Store FOLDER (files, links, sub-folders) and print the id of its tree."""
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    with byte_progress(f"storing {folder}", total, as_json) as advance:
        tree_id = ingest_directory(services.store, folder, progress=advance)
    emit(as_json, {"tree": tree_id}, tree_id)


@tree_group.command("ls")
@click.argument("tree_id", callback=_object_id)
@click.option("-r", "--recursive", is_flag=True, help="Descend into sub-trees.")
@json_option
@pass_services
def tree_ls(services: Services, tree_id: ObjectId, recursive: bool, as_json: bool) -> None:
    """List the entries of a tree: kind, size, id and path."""
    rows = list(_walk_tree(services.store, tree_id, "", recursive))
    emit(
        as_json,
        [{"path": p, "kind": k.value, "size": s, "id": i} for p, k, s, i in rows],
        "\n".join(f"{k.value:4} {s:>12} {i}  {p}" for p, k, s, i in rows),
    )


def _walk_tree(store: ObjectStore, tree_id: ObjectId, prefix: str, recursive: bool):
    for entry in store.get_tree(tree_id):
        path = prefix + entry.name
        yield path, entry.kind, entry.size, entry.id
        if recursive and entry.kind is EntryKind.DIR:
            yield from _walk_tree(store, entry.id, path + "/", recursive)


@cli.group("object")
def object_group() -> None:
    """Read single objects."""


@object_group.command("cat")
@click.argument("object_id", callback=_object_id)
@pass_services
def object_cat(services: Services, object_id: ObjectId) -> None:
    """Write a file's content (or a tree's or commit's canonical bytes) to standard output."""
    out = sys.stdout.buffer
    if services.store.kind(object_id) in (Kind.BLOB, Kind.CHUNKS):
        for piece in services.store.iter_bytes(object_id):
            out.write(piece)
    else:
        out.write(services.store.load(object_id)[1])
    out.flush()


@object_group.command("info")
@click.argument("object_id", callback=_object_id)
@json_option
@pass_services
def object_info(services: Services, object_id: ObjectId, as_json: bool) -> None:
    """Describe an object: kind, size, stored size, chunks."""
    store = services.store
    kind = store.kind(object_id)
    data = {
        "id": object_id,
        "kind": kind.name.lower(),
        "stored_size": store.stat(object_id).stored_size,
    }
    if kind in (Kind.BLOB, Kind.CHUNKS):
        data["size"] = store.size_of(object_id)
        index = store.chunk_index(object_id)
        data["chunks"] = len(index.chunks) if index else 0
    emit(as_json, data, "\n".join(f"{k}: {v}" for k, v in data.items()))
