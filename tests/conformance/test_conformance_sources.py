"""Sources, refs, history and import jobs through the ``WorkspaceAPI``: the same assertions,
embedded and over HTTP (one allowed difference: local imports, marked below)."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from _conformance import wait_for

from aether_data.errors import Conflict, Forbidden, Invalid, NotFound
from aether_data.wire import Source, WorkspaceAPI

Fresh = Callable[[str], str]


# ---------------------------------------------------------------------------- sources
def test_create_and_get_a_source(api: WorkspaceAPI, fresh: Fresh) -> None:
    name = fresh("src")
    created = api.create_source(name, description="orders data")
    assert isinstance(created, Source)
    assert (created.name, created.default_branch, created.description) == (
        name,
        "main",
        "orders data",
    )
    assert api.get_source(name) == created
    log = api.log(name).items
    assert len(log) == 1
    assert log[0].parents == []


def test_duplicate_source_conflicts(api: WorkspaceAPI, fresh: Fresh) -> None:
    name = fresh("src")
    api.create_source(name)
    with pytest.raises(Conflict):
        api.create_source(name)


@pytest.mark.parametrize("bad", ["", "-dash-first", "has space", "a/b", "x" * 101])
def test_bad_source_names_are_invalid(api: WorkspaceAPI, bad: str) -> None:
    with pytest.raises(Invalid):
        api.create_source(bad)


def test_unknown_source(api: WorkspaceAPI, fresh: Fresh) -> None:
    ghost = fresh("ghost")
    for call in (
        lambda: api.get_source(ghost),
        lambda: api.list_refs(ghost),
        lambda: api.log(ghost),
        lambda: api.create_ref(ghost, "b"),
        lambda: api.list_imports(ghost),
        lambda: api.get_import(ghost, "j-0000000000000000"),
    ):
        with pytest.raises(NotFound):
            call()


def test_list_sources_pages_by_name(api: WorkspaceAPI, fresh: Fresh) -> None:
    prefix = fresh("page")
    mine = [f"{prefix}-{i}" for i in range(3)]
    for name in reversed(mine):
        api.create_source(name)
    seen, cursor = [], None
    while True:
        page = api.list_sources(cursor=cursor, limit=2)
        assert len(page.items) <= 2
        seen += [s.name for s in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(seen)
    assert [n for n in seen if n.startswith(prefix)] == mine


# ---------------------------------------------------------------------------- refs and log
def test_refs(api: WorkspaceAPI, fresh: Fresh) -> None:
    name = fresh("src")
    api.create_source(name)
    head = api.log(name).items[0].id
    tag = api.create_ref(name, "v1", kind="tag")
    assert (tag.source, tag.name, tag.kind, tag.commit) == (name, "v1", "tag", head)
    branch = api.create_ref(name, "dev", at="v1")
    assert (branch.kind, branch.commit) == ("branch", head)
    with pytest.raises(Conflict):
        api.create_ref(name, "dev")
    with pytest.raises(Invalid):
        api.create_ref(name, "odd", kind="twig")
    with pytest.raises(NotFound):
        api.create_ref(name, "from-nowhere", at="no-such-ref")
    first = api.list_refs(name, limit=2)
    rest = api.list_refs(name, cursor=first.next_cursor, limit=2)
    assert [r.name for r in first.items + rest.items] == ["dev", "main", "v1"]
    assert rest.next_cursor is None


def test_a_tag_never_moves(api: WorkspaceAPI, fresh: Fresh) -> None:
    name = fresh("src")
    api.create_source(name)
    api.create_ref(name, "v1", kind="tag")
    work = api.create_session(source=name, ref="v1").id
    api.write(work, "x.txt", b"x")
    with pytest.raises(Forbidden):
        api.commit(work, message="onto a tag")


def test_log_pages_newest_first(api: WorkspaceAPI, fresh: Fresh) -> None:
    name = fresh("src")
    api.create_source(name)
    for i in range(3):
        work = api.create_session(source=name).id
        api.write(work, "n.txt", str(i).encode())
        api.commit(work, message=f"c{i}")
    messages, cursor = [], None
    while True:
        page = api.log(name, cursor=cursor, limit=2)
        messages += [c.message for c in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert messages[:3] == ["c2", "c1", "c0"]
    assert len(messages) == 4  # and the source's first, empty commit
    assert [c.message for c in api.log(name, "main", limit=1).items] == ["c2"]


# ---------------------------------------------------------------------------- imports
def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_import_an_archive_over_http(
    api: WorkspaceAPI, fresh: Fresh, served: tuple[str, Path]
) -> None:
    base, folder = served
    (folder / "data.tar").write_bytes(_tar({"data.csv": b"id,v\n1,2\n"}))
    name = fresh("imp")
    api.create_source(name)
    job = api.start_import(name, f"{base}/data.tar", message="from http")
    assert (job.source, job.origin) == (name, f"{base}/data.tar")
    assert job.status in ("QUEUED", "RUNNING", "SUCCEEDED")
    done = wait_for(api, name, job.id)
    assert (done.status, done.error) == ("SUCCEEDED", None)
    assert done.commit == api.log(name).items[0].id
    assert api.log(name).items[0].message == "from http"
    session = api.create_session(source=name).id
    assert api.read(session, "data.csv") == b"id,v\n1,2\n"
    assert job.id in [j.id for j in api.list_imports(name).items]


def test_import_into_a_new_branch(
    api: WorkspaceAPI, fresh: Fresh, served: tuple[str, Path]
) -> None:
    base, folder = served
    (folder / "b.tar").write_bytes(_tar({"b.txt": b"b"}))
    name = fresh("imp")
    api.create_source(name)
    done = wait_for(api, name, api.start_import(name, f"{base}/b.tar", branch="incoming").id)
    assert done.status == "SUCCEEDED"
    assert "incoming" in [r.name for r in api.list_refs(name).items]
    on_branch = api.create_session(source=name, ref="incoming").id
    assert api.read(on_branch, "b.txt") == b"b"


def test_a_failing_import_reports_why(
    api: WorkspaceAPI, fresh: Fresh, served: tuple[str, Path]
) -> None:
    base, _ = served
    name = fresh("imp")
    api.create_source(name)
    done = wait_for(api, name, api.start_import(name, f"{base}/missing.tar").id)
    assert done.status == "FAILED"
    assert done.error
    assert done.commit is None
    assert len(api.log(name).items) == 1  # nothing was committed


def test_import_of_a_single_dataset_file(
    api: WorkspaceAPI, fresh: Fresh, served: tuple[str, Path]
) -> None:
    """A dataset URL (a file not named like an archive) imports as a one-file tree; a tiny
    one too (a zip probe must not trip over files shorter than a zip trailer)."""
    base, folder = served
    (folder / "data.csv").write_bytes(b"id,name\n1,first row of data\n")
    (folder / "tiny.csv").write_bytes(b"id\n")
    name = fresh("imp")
    api.create_source(name)
    done = wait_for(api, name, api.start_import(name, f"{base}/data.csv").id)
    assert done.status == "SUCCEEDED", done.error
    tiny = wait_for(api, name, api.start_import(name, f"{base}/tiny.csv", branch="tiny").id)
    assert tiny.status == "SUCCEEDED", tiny.error
    session = api.create_session(source=name)
    assert api.read(session.id, "data.csv") == b"id,name\n1,first row of data\n"
    assert api.read(api.create_session(source=name, ref="tiny").id, "tiny.csv") == b"id\n"


def test_import_refuses_an_unknown_scheme(api: WorkspaceAPI, fresh: Fresh) -> None:
    name = fresh("imp")
    api.create_source(name)
    with pytest.raises(Invalid):
        api.start_import(name, "gopher://example.invalid/x.tar")


def test_local_imports_only_embedded(
    api: WorkspaceAPI, kind: str, fresh: Fresh, tmp_path: Path
) -> None:
    """The one allowed difference: the embedded workspace imports local paths and file://
    URLs (it runs as the user, on the user's files); a server refuses them (``Forbidden``),
    so a client cannot make it read the server's own disk."""
    archive = tmp_path / "local.tar"
    archive.write_bytes(_tar({"local.txt": b"local"}))
    name = fresh("imp")
    api.create_source(name)
    for origin in (str(archive), archive.as_uri()):
        if kind == "http":
            with pytest.raises(Forbidden):
                api.start_import(name, origin)
            continue
        done = wait_for(api, name, api.start_import(name, origin).id)
        assert done.status == "SUCCEEDED"
        assert api.read(api.create_session(source=name).id, "local.txt") == b"local"
