"""The ``aether`` command line, end to end against a real AETHER_HOME (``tests/cli/_cli.py``;
how errors reach a person, through the real executable)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from _cli import run, run_executable

from aether_data.catalog import BusMessage, SqlCatalog
from aether_data.ids import RefName, SourceName
from aether_data.objects import Commit
from aether_data.settings import Settings
from aether_data.storage import LocalObjectStore


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "data" / "orders.csv").write_text("id,amount\n1,10\n")
    (src / "notes.md").write_text("# notes\n")
    return src


def _object_path(home: Path, oid: str) -> Path:
    return home / "objects" / oid[:2] / oid[2:]


@pytest.mark.parametrize(
    "verb",
    [
        [],
        ["fsck"],
        ["gc"],
        ["tree"],
        ["tree", "write"],
        ["tree", "ls"],
        ["object", "cat"],
        ["object", "info"],
    ],
)
def test_every_verb_has_help(home: Path, verb: list[str]) -> None:
    out = run(home, *verb, "--help").stdout
    assert "Usage: aether" in out


def test_tree_write_ls_cat_info(home: Path, folder: Path) -> None:
    tree_id = run(home, "tree", "write", str(folder)).stdout.strip()
    assert len(tree_id) == 64
    listing = json.loads(run(home, "tree", "ls", "-r", tree_id, "--json").stdout)
    assert [(row["path"], row["kind"]) for row in listing] == [
        ("data", "dir"),
        ("data/orders.csv", "file"),
        ("notes.md", "file"),
    ]
    csv = next(row for row in listing if row["path"] == "data/orders.csv")
    assert run(home, "object", "cat", csv["id"]).stdout == "id,amount\n1,10\n"
    info = json.loads(run(home, "object", "info", csv["id"], "--json").stdout)
    assert info == {
        "id": csv["id"],
        "kind": "blob",
        "size": 15,
        "chunks": 0,
        "stored_size": info["stored_size"],
    }


def test_bad_and_unknown_ids_get_clear_errors(home: Path) -> None:
    bad = run_executable(home, "object", "cat", "not-an-id", check=2)
    assert "not an object id" in bad.stderr
    missing = run_executable(home, "object", "cat", "0" * 64, check=3)
    assert f"object {'0' * 64} is not in the store" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_fsck_clean_then_corrupt(home: Path, folder: Path) -> None:
    tree_id = run(home, "tree", "write", str(folder)).stdout.strip()
    _name_in_catalog(home, tree_id)
    report = json.loads(run(home, "fsck", "--json").stdout)
    assert report["ok"] is True
    assert report["roots"] >= 1
    assert report["reachable"] == 5  # commit, tree, subtree, two files

    victim = _object_path(home, tree_id)
    victim.chmod(0o644)
    victim.write_bytes(victim.read_bytes()[:-1] + b"X")
    proc = run(home, "fsck", "--json", check=1)
    problems = json.loads(proc.stdout)["problems"]
    assert [(p["object"], p["problem"]) for p in problems] == [(tree_id, "corrupt")]
    human = run(home, "fsck", check=1).stdout
    assert f"corrupt object {tree_id}" in human


def _name_in_catalog(home: Path, tree_id: str) -> None:
    """Point a branch at a commit of the tree, the way the sessions layer will."""
    settings = Settings.for_home(home)
    store = LocalObjectStore(settings.store_url)
    commit = Commit(tree_id, (), "t <t@example.org>", time.time_ns() // 1000, "import")
    commit_id = store.put_commit(commit)
    with SqlCatalog(settings.catalog_url) as catalog:
        catalog.create_source(SourceName("demo"))
        catalog.compare_and_set_ref(
            SourceName("demo"), RefName("main"), new=commit_id, expected=None
        )


def test_gc_respects_grace_and_roots(home: Path, folder: Path) -> None:
    kept = run(home, "tree", "write", str(folder)).stdout.strip()
    _name_in_catalog(home, kept)
    (folder / "notes.md").write_text("changed\n")
    dropped = run(home, "tree", "write", str(folder)).stdout.strip()

    young = json.loads(run(home, "gc", "--json").stdout)
    assert young["deleted"] == 0
    assert young["kept_young"] == 2  # the new root tree and the new notes.md blob

    dry = json.loads(run(home, "gc", "--grace", "0", "--dry-run", "--json").stdout)
    assert dry["deleted"] == 2
    assert _object_path(home, dropped).exists()

    done = json.loads(run(home, "gc", "--grace", "0s", "--json").stdout)
    assert done["deleted"] == 2
    assert not _object_path(home, dropped).exists()
    assert _object_path(home, kept).exists()
    assert json.loads(run(home, "fsck", "--json").stdout)["ok"] is True


def test_gc_prunes_bus_messages_past_their_retention(home: Path) -> None:
    run(home, "session", "ls")  # creates the catalog
    now = datetime.now(UTC)
    with SqlCatalog(Settings.for_home(home).catalog_url) as catalog:
        for days in (40, 31, 29, 0):
            at = now - timedelta(days=days)
            message = BusMessage(0, "default", "t", str(days), "ada", at)
            catalog.publish(message)
    dry = json.loads(run(home, "gc", "--dry-run", "--json").stdout)
    assert dry["bus_messages_pruned"] == 0
    assert json.loads(run(home, "gc", "--json").stdout)["bus_messages_pruned"] == 2
    tail = run(home, "bus", "tail", "--last", "10", "--count", "2", "--json").stdout
    assert [json.loads(line)["body"] for line in tail.splitlines()] == [29, 0]
    kept = run(home, "gc", "--json", AETHER_BUS_RETENTION_DAYS="0")
    assert json.loads(kept.stdout)["bus_messages_pruned"] == 0


def test_bad_grace_is_a_usage_error(home: Path) -> None:
    proc = run(home, "gc", "--grace", "soon", check=2)
    assert "not a duration" in proc.stderr


def test_start_up_loads_only_what_the_verb_needs() -> None:
    """The command line's import leaves the linter, the catalog's engine, the HTTP client and
    the progress bars to the verbs that use them (each costs a start of every call)."""
    heavy = ["sqlglot", "sqlalchemy", "httpx", "rich", "duckdb", "pyarrow", "litestar"]
    probe = f"import sys, aether_data.cli; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
