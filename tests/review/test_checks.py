"""Checks: the built-in ones, command checks, entry-point checks, the registry and stored runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aether_data.catalog import SqlCatalog
from aether_data.errors import Invalid
from aether_data.ids import ObjectId, SessionId
from aether_data.objects import EntryKind, Tree, TreeEntry
from aether_data.review import CheckRegistry, CheckRuns, CheckStatus, CommandCheck, TreeFiles
from aether_data.review.checks import CheckResult, Finding, run_check
from aether_data.storage import MemoryObjectStore


def tree_of(store: MemoryObjectStore, files: dict[str, bytes]) -> ObjectId:
    """A tree of ``files`` (one level of folders is enough here)."""
    folders: dict[str, list[TreeEntry]] = {"": []}
    for path, data in files.items():
        folder, _, name = path.rpartition("/")
        entry = TreeEntry(name, EntryKind.FILE, store.put_bytes(data), len(data))
        folders.setdefault(folder, []).append(entry)
    for folder in [f for f in folders if f]:
        folders[""].append(TreeEntry(folder, EntryKind.DIR, store.put_tree(Tree(folders[folder]))))
    return store.put_tree(Tree(folders[""]))


@pytest.fixture
def store() -> MemoryObjectStore:
    return MemoryObjectStore()


def files(store: MemoryObjectStore, content: dict[str, bytes]) -> TreeFiles:
    return TreeFiles(store, tree_of(store, content))


def test_no_conflict_markers_finds_each_marker_line(store) -> None:
    check = CheckRegistry(load_entry_points=False).get("no-conflict-markers")
    text = b"a\n<<<<<<< ours\nb\n=======\nc\n>>>>>>> theirs\n"
    result = check.run(files(store, {"ok.txt": b"fine\n", "m/x.py": text, "bin": b"\0<<<<<<< "}))
    assert result.status is CheckStatus.FAILED
    assert result.findings == (
        Finding("merge conflict marker", "m/x.py", 2),
        Finding("merge conflict marker", "m/x.py", 6),
    )
    assert check.run(files(store, {"ok.txt": b"fine"})).status is CheckStatus.PASSED


def test_valid_json_reads_json_and_notebooks_only(store) -> None:
    check = CheckRegistry(load_entry_points=False).get("valid-json")
    tree = files(store, {"a.json": b"{}", "b.ipynb": b"{oops", "c.txt": b"{oops"})
    result = check.run(tree)
    assert result.status is CheckStatus.FAILED
    assert [(f.path, f.line) for f in result.findings] == [("b.ipynb", 1)]
    assert result.summary == "1 invalid JSON files"


def test_a_command_check_runs_in_the_exported_tree(store) -> None:
    tree = files(store, {"README.md": b"hi", "db/1.sql": b"select 1"})
    passing = CommandCheck("has-sql", "sh -c 'ls db && test -e README.md'")
    result = passing.run(tree)
    assert (result.status, result.output.strip()) == (CheckStatus.PASSED, "1.sql")
    failing = CommandCheck("no-sql", "sh -c 'echo found SQL >&2; test ! -d db'")
    result = failing.run(tree)
    assert (result.status, result.summary) == (CheckStatus.FAILED, "exit status 1")
    assert "found SQL" in result.output


def test_a_command_that_cannot_run_or_hangs_is_an_error(store) -> None:
    tree = files(store, {"a": b"1"})
    missing = CommandCheck("x", "/nonexistent/tool --flag").run(tree)
    assert missing.status is CheckStatus.ERROR
    assert "/nonexistent/tool" in missing.summary
    slow = CommandCheck("slow", "sleep 5", timeout=0.2).run(tree)
    assert (slow.status, slow.summary) == (CheckStatus.ERROR, "timed out after 0.2 s")


def test_a_raising_check_is_reported_as_an_error(store) -> None:
    class Broken:
        name, description = "broken", "raises"

        def run(self, tree: TreeFiles) -> CheckResult:
            raise RuntimeError("boom")

    result = run_check(Broken(), files(store, {}))
    assert (result.status, result.summary) == (
        CheckStatus.ERROR,
        "the check raised RuntimeError: boom",
    )


def test_registry_knows_built_ins_commands_and_says_what_it_knows() -> None:
    registry = CheckRegistry({"tests": "pytest -q"}, load_entry_points=False)
    assert registry.names() == ["no-conflict-markers", "tests", "valid-json"]
    assert registry.get("tests").description == "command: pytest -q"
    with pytest.raises(Invalid, match="no check named 'nope'; known checks: no-conflict"):
        registry.get("nope")


def test_entry_point_checks_are_loaded(tmp_path: Path, monkeypatch, store) -> None:
    package = tmp_path / "team_checks.py"
    package.write_text(
        textwrap.dedent(
            """
            from aether_data.review.checks import CheckResult, CheckStatus

            class NoTodo:
                name = "no-todo"
                description = "no TODO left"

                def run(self, tree):
                    bad = [p for p, _ in tree.files() if b"TODO" in tree.read(p)]
                    status = CheckStatus.FAILED if bad else CheckStatus.PASSED
                    return CheckResult(status, ", ".join(bad) or "clean")
            """
        )
    )
    info = tmp_path / "team_checks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: team-checks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[aether_data.checks]\nno-todo = team_checks:NoTodo\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    check = CheckRegistry().get("no-todo")
    result = run_check(check, files(store, {"a.py": b"# TODO", "b.py": b"ok"}))
    assert (result.status, result.summary) == (CheckStatus.FAILED, "a.py")


def test_runs_are_stored_per_session_and_tree(catalog: SqlCatalog) -> None:
    runs = CheckRuns(catalog)
    s1, t1, t2 = SessionId("s1"), ObjectId("a" * 64), ObjectId("b" * 64)
    failed = CheckResult(CheckStatus.FAILED, "1 problem", (Finding("bad", "a.sql", 3),), "log")
    first = runs.record("acme", s1, t1, "lint", failed, actor="ada")
    runs.record("acme", s1, t2, "lint", CheckResult(CheckStatus.PASSED, "ok"), actor="ada")
    runs.record("acme", SessionId("s2"), t1, "lint", failed, actor="ada")
    assert [r.tree_id for r in runs.list(s1)] == [t1, t2]
    (only,) = runs.list(s1, tree_id=t1)
    assert only == first
    assert (only.check, only.status, only.findings, only.output) == (
        "lint",
        CheckStatus.FAILED,
        (Finding("bad", "a.sql", 3),),
        "log",
    )
