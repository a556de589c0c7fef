"""``aether inspect SESSION PATH``, end to end (``tests/cli/_cli.py``): embedded against a real
AETHER_HOME and remote against a live server, as a table for people and as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _cli import run

CSV = "id;city;day\n1;Oslo;2024-01-02\n2;;2024-03-04\n3;Lima;\n"


def _session_with_csv(home: Path, tmp_path: Path, *flags: str) -> str:
    made = run(home, *flags, "session", "create", "--json")
    session = json.loads(made.stdout)["id"]
    local = tmp_path / "orders.csv"
    local.write_text(CSV)
    run(home, *flags, "cp", str(local), f"aether://{session}/data/orders.csv")
    (tmp_path / "bad.jsonl").write_text('{"a": 1}\nnope\n')
    run(home, *flags, "cp", str(tmp_path / "bad.jsonl"), f"aether://{session}/bad.jsonl")
    return session


def _check(home: Path, session: str, *flags: str) -> None:
    text = run(home, *flags, "inspect", session, "data/orders.csv").stdout
    lines = text.splitlines()
    assert lines[0] == f"data/orders.csv: csv, 3 rows, 3 columns, {len(CSV)} bytes"
    assert 'dialect: delimiter ";", quote none, escape none, header yes' in lines
    header = next(i for i, line in enumerate(lines) if line.startswith("column"))
    assert lines[header].split() == ["column", "type", "nulls", "min", "max", "distinct"]
    assert lines[header + 1].split() == ["id", "BIGINT", "0", "1", "3", "~3"]
    assert lines[header + 2].split() == ["city", "VARCHAR", "1", "Lima", "Oslo", "~2"]
    assert lines[header + 3].split() == ["day", "DATE", "1", "2024-01-02", "2024-03-04", "~2"]
    assert "first 3 of 3 rows:" in lines
    assert lines[-4:] == [
        "id  city  day",
        "1   Oslo  2024-01-02",
        "2   NULL  2024-03-04",
        "3   Lima  NULL",
    ]
    found = json.loads(run(home, *flags, "inspect", session, "data/orders.csv", "--json").stdout)
    assert (found["path"], found["format"], found["row_count"]) == ("data/orders.csv", "csv", 3)
    assert found["columns"][2] == {
        "name": "day",
        "type": "DATE",
        "null_count": 1,
        "distinct_count": 2,
        "min": "2024-01-02",
        "max": "2024-03-04",
    }
    assert found["preview"][1] == [2, None, "2024-03-04"]
    bad = run(home, *flags, "inspect", session, "bad.jsonl", check=2)
    assert "cannot read bad.jsonl as jsonl" in bad.stderr
    run(home, *flags, "inspect", session, "missing.csv", check=3)


def test_inspect_embedded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _check(home, _session_with_csv(home, tmp_path))


def test_inspect_remote(tmp_path: Path, live_server: Any) -> None:
    home = tmp_path / "home"
    flags = ("--server", live_server.url, "--token", live_server.token)
    _check(home, _session_with_csv(home, tmp_path, *flags), *flags)
