"""``aether diff`` and datasets, end to end (``tests/cli/_cli.py``), embedded and against a live
server: the data line under each changed dataset file of a tree diff (``--no-data`` drops
it), and ``aether diff OLD NEW -- PATH`` for one dataset file (table, ``--json``, ``--key``,
``--tolerance``, ``--output`` in each format)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from _cli import run

BEFORE = "id,name,amount\n1,ada,10.5\n2,bob,20\n3,cy,30\n"
AFTER = "id,name,amount,discount\n1,ada,10.5,0\n3,cyd,30.25,0\n4,dee,40,0.1\n"
TABLE = [
    "data/orders.csv: key id (inferred)",
    "rows: 3 -> 3; added 1, removed 1, changed 1, unchanged 1",
    "changed cells: name 1, amount 1",
    "columns added: discount",
    "",
    "_change  _changed     id  before.name  after.name  before.amount  after.amount",
    "removed  -            2   bob          NULL        20.0           NULL",
    "changed  name,amount  3   cy           cyd         30.0           30.25",
    "added    -            4   NULL         dee         NULL           40.0",
]


def _stock(home: Path, tmp_path: Path, *flags: str) -> tuple[str, str]:
    """A session with checkpoint ``v1`` (BEFORE) edited to AFTER, and a fork of it."""
    session = json.loads(run(home, *flags, "session", "create", "--json").stdout)["id"]

    def put(path: str, text: str) -> None:
        local = tmp_path / "upload"
        local.write_text(text)
        run(home, *flags, "cp", str(local), f"aether://{session}/{path}")

    put("data/orders.csv", BEFORE)
    put("data/log.jsonl", '{"a": 1}\n')
    put("notes.md", "# notes\n")
    run(home, *flags, "checkpoint", "create", session, "--name", "v1")
    put("data/orders.csv", AFTER)
    put("data/log.jsonl", '{"a": 1}\nnope\n')
    put("notes.md", "# notes, edited\n")
    fork = run(home, *flags, "session", "fork", session).stdout.strip()
    return session, fork


def _check(home: Path, tmp_path: Path, session: str, *flags: str) -> None:
    def aether(*args: str, check: int = 0) -> Any:
        return run(home, *flags, *args, check=check)

    old = f"{session}:v1"
    lines = aether("diff", old, session).stdout.splitlines()
    assert lines[:3] == [
        "modified  data/log.jsonl",
        "  data: not compared: cannot read new data/log.jsonl as jsonl: "
        + lines[1].split(" as jsonl: ", 1)[1],
        "modified  data/orders.csv",
    ]
    assert lines[3:] == ["  data: +1 -1 ~1 rows; columns: +discount", "modified  notes.md"]
    assert aether("diff", old, session, "--no-data").stdout.splitlines() == [
        "modified  data/log.jsonl",
        "modified  data/orders.csv",
        "modified  notes.md",
    ]
    rows = json.loads(aether("diff", old, session, "--json").stdout)
    by_path = {row["path"]: row for row in rows}
    assert by_path["data/orders.csv"]["dataset"]["summary"]["added"] == 1
    assert by_path["data/orders.csv"]["dataset"]["key"] == ["id"]
    assert by_path["notes.md"]["dataset"] is None
    assert "cannot read" in by_path["data/log.jsonl"]["dataset_error"]
    assert aether("diff", old, session, "--", "data").stdout.splitlines()[0] == (
        "modified  data/log.jsonl"
    )

    assert aether("diff", old, session, "--", "data/orders.csv").stdout.splitlines() == TABLE
    shown = aether("diff", old, session, "--", "data/orders.csv", "--limit", "1").stdout
    assert [line.split() for line in shown.splitlines()[-2:]] == [
        TABLE[6].split(),
        ["...", "2", "more", "rows"],
    ]
    loose = aether(
        "diff", old, session, "--key", "id", "--tolerance", "amount=0.5", "--", "data/orders.csv"
    ).stdout.splitlines()
    assert loose[:3] == [
        "data/orders.csv: key id (given)",
        "rows: 3 -> 3; added 1, removed 1, changed 1, unchanged 1",
        "changed cells: name 1",
    ]
    found = json.loads(
        aether("diff", old, session, "--", "data/orders.csv", "--json", "--key", "name").stdout
    )
    assert (found["key"], found["key_source"], found["total_rows"]) == (["name"], "given", 4)
    assert found["summary"]["removed"] == 2
    assert found["schema"]["added"] == ["discount"]
    assert [row["name"] for row in found["rows"]] == ["bob", "cy", "cyd", "dee"]

    everything = json.loads(aether("diff", old, session, "--", "data/orders.csv", "--json").stdout)[
        "rows"
    ]
    for fmt, name in (("parquet", "out.parquet"), ("arrow", "out.arrow"), ("json", "out.txt")):
        out = tmp_path / name
        aether("diff", old, session, "--", "data/orders.csv", "--output", str(out), "--format", fmt)
        if fmt == "parquet":
            assert pq.read_table(out).to_pylist() == everything
        elif fmt == "arrow":
            assert pa.ipc.open_file(out).read_all().to_pylist() == everything
        else:
            assert [json.loads(line) for line in out.read_text().splitlines()] == everything
    csv = tmp_path / "out.csv"
    aether("diff", old, session, "--", "data/orders.csv", "--output", str(csv))
    assert csv.read_text().splitlines()[0].startswith("_change,_changed,id,before.name")

    assert "no file" in aether("diff", old, session, "--", "data/nope.csv", check=3).stderr
    assert (
        "key column 'nope'"
        in aether("diff", old, session, "--", "data/orders.csv", "--key", "nope", check=2).stderr
    )
    assert "compare one dataset file" in aether("diff", old, session, "--key", "id", check=2).stderr
    bad = aether("diff", old, session, "--tolerance", "amount", "--", "data/orders.csv", check=2)
    assert "COLUMN=ABS" in bad.stderr
    unknown = aether(
        "diff", old, session, "--", "data/orders.csv", "--output", str(tmp_path / "x.txt"), check=2
    )
    assert "--format" in unknown.stderr
    assert not (tmp_path / "x.txt").exists()


def test_dataset_diff_embedded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    session, fork = _stock(home, tmp_path)
    _check(home, tmp_path, session)
    # another session's checkpoint and a fork are compared on this machine
    shown = run(home, "diff", f"{session}:v1", fork, "--", "data/orders.csv").stdout
    assert shown.splitlines() == TABLE
    page = tmp_path / "diff.html"
    run(home, "diff", f"{session}:v1", session, "--", "data/orders.csv", "--output", str(page))
    text = page.read_text()
    assert text.startswith("<!doctype html>")
    assert "aether-dataset-diff" in text
    assert "cyd" in text


def test_dataset_diff_remote(tmp_path: Path, live_server: Any) -> None:
    home = tmp_path / "home"
    flags = ("--server", live_server.url, "--token", live_server.token)
    session, fork = _stock(home, tmp_path, *flags)
    _check(home, tmp_path, session, *flags)
    refused = run(home, *flags, "diff", f"{session}:v1", fork, "--", "data/orders.csv", check=2)
    assert "against a server" in refused.stderr
    page = str(tmp_path / "diff.html")
    html = run(
        home,
        *flags,
        "diff",
        f"{session}:v1",
        session,
        "--",
        "data/orders.csv",
        "--output",
        page,
        check=2,
    )
    assert "html" in html.stderr
