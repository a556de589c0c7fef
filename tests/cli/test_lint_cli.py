"""``aether lint``, end to end (``tests/cli/_cli.py``): a local project folder, then the same
migrations in a session (embedded and through a live server), with the dry run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from _cli import run

CONFIG = '[lint]\npostgres_version = 15\n[lint.tables]\norders = "data/orders.parquet"\n'
INIT = "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';\n"
SHOP = "-- aether-lint: ignore=missing-timeout\nALTER TABLE orders ADD COLUMN shop bigint;\n"
BREAKING = "ALTER TABLE orders\n  ADD COLUMN region text NOT NULL;\n"


def _project(root: Path, *, breaking: bool) -> Path:
    (root / "migrations").mkdir(parents=True)
    (root / "data").mkdir()
    pq.write_table(pa.table({"id": [1, 2]}), root / "data" / "orders.parquet")
    (root / "aether.toml").write_text(CONFIG)
    (root / "migrations" / "0001_init.sql").write_text(INIT)
    (root / "migrations" / "0002_shop.sql").write_text(SHOP)
    if breaking:
        (root / "migrations" / "0010_region.sql").write_text(BREAKING)
    return root


def test_lint_a_local_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    clean = _project(tmp_path / "clean", breaking=False)
    out = run(home, "lint", str(clean), "--dry-run", "--json").stdout
    found = json.loads(out)
    assert found["files"] == ["migrations/0001_init.sql", "migrations/0002_shop.sql"]
    assert [f["rule"] for f in found["findings"]] == ["missing-timeout"]  # 0001 sets none
    assert found["dry_run"]["ok"]
    assert found["dry_run"]["tables"] == {"orders": 2}

    broken = _project(tmp_path / "broken", breaking=True)
    text = run(broken and home, "lint", str(broken), "--dry-run", check=1).stdout
    assert "migrations/0010_region.sql:2:14: error [not-null-without-default]" in text
    assert "migrations/0010_region.sql:1:1: error [dry-run-failed]" in text
    assert "failed at migrations/0010_region.sql:1" in text
    # A single file, with the settings of the current directory (none here): no dry run.
    one = run(home, "lint", str(broken / "migrations" / "0002_shop.sql"), "--json").stdout
    assert json.loads(one)["counts"] == {"error": 0, "warning": 0, "info": 0}


def test_sarif_output(tmp_path: Path) -> None:
    project = _project(tmp_path / "p", breaking=True)
    log = json.loads(
        run(tmp_path / "home", "lint", str(project), "--format", "sarif", check=1).stdout
    )
    assert log["version"] == "2.1.0"
    (sarif_run,) = log["runs"]
    results = sarif_run["results"]
    rules = [rule["id"] for rule in sarif_run["tool"]["driver"]["rules"]]
    hit = next(r for r in results if r["ruleId"] == "not-null-without-default")
    assert rules[hit["ruleIndex"]] == "not-null-without-default"
    assert hit["level"] == "error"
    location = hit["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "migrations/0010_region.sql"
    assert location["region"]["startLine"] == 2
    assert location["region"]["startColumn"] == 14


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert "no file or folder" in run(home, "lint", str(tmp_path / "nope"), check=2).stderr
    run(home, "lint", str(tmp_path), "--dialect", "oracle", check=2)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no .sql files" in run(home, "lint", str(empty), check=2).stderr
    bad = _project(tmp_path / "bad", breaking=False)
    (bad / "aether.toml").write_text('[lint]\ndisable = ["no-such-rule"]\n')
    assert "unknown lint rule 'no-such-rule'" in run(home, "lint", str(bad), check=2).stderr
    listing = run(home, "lint", "--rules").stdout
    assert "drop-table" in listing
    assert "dry-run-failed" in listing


def _session(home: Path, project: Path, *flags: str) -> str:
    session = json.loads(run(home, *flags, "session", "create", "--json").stdout)["id"]
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        target = f"aether://{session}/{path.relative_to(project).as_posix()}"
        run(home, *flags, "cp", str(path), target)
    return session


def _check_session(home: Path, project: Path, *flags: str) -> None:
    session = _session(home, project, *flags)
    out = run(home, *flags, "lint", f"aether://{session}", "--dry-run", "--json", check=1).stdout
    found = json.loads(out)
    assert found["files"][-1] == "migrations/0010_region.sql"
    assert found["dry_run"]["failure"]["path"] == "migrations/0010_region.sql"
    rules = {(f["path"], f["rule"]) for f in found["findings"]}
    assert ("migrations/0010_region.sql", "dry-run-failed") in rules
    single = run(home, *flags, "lint", f"aether://{session}/migrations/0002_shop.sql", "--json")
    assert json.loads(single.stdout)["files"] == ["migrations/0002_shop.sql"]
    # The dry run never writes to the session.
    listing = run(home, *flags, "ls", f"aether://{session}/data", "--json").stdout
    assert [e["name"] for e in json.loads(listing)] == ["orders.parquet"]


def test_lint_a_session_embedded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _check_session(home, _project(tmp_path / "p", breaking=True))


def test_lint_a_session_remote(tmp_path: Path, live_server: Any) -> None:
    flags = ("--server", live_server.url, "--token", live_server.token)
    _check_session(tmp_path / "home", _project(tmp_path / "p", breaking=True), *flags)
