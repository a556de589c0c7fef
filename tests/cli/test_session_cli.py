"""Session, source, checkpoint and file verbs of the ``aether`` command line
(``tests/cli/_cli.py``)."""

from __future__ import annotations

import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from _cli import run

STARTER = Path(__file__).resolve().parents[2] / "sample_workspaces" / "starter"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.mark.parametrize(
    "verb",
    [
        ["source", "create"],
        ["source", "ls"],
        ["log"],
        ["session", "create"],
        ["session", "ls"],
        ["session", "show"],
        ["session", "fork"],
        ["session", "archive"],
        ["session", "retire"],
        ["checkpoint", "create"],
        ["checkpoint", "ls"],
        ["restore"],
        ["commit"],
        ["status"],
        ["cat"],
        ["ls"],
        ["rm"],
        ["mv"],
        ["cp"],
    ],
)
def test_every_session_verb_has_help(home: Path, verb: list[str]) -> None:
    assert "Usage: aether" in run(home, *verb, "--help").stdout


def test_lifecycle_end_to_end(home: Path, tmp_path: Path) -> None:
    assert run(home, "source", "create", "sales", "--from", str(STARTER)).stdout.strip() == "sales"
    sid = run(home, "session", "create", "--source", "sales", "--name", "demo").stdout.strip()
    assert "pipeline.toml" in run(home, "ls", f"aether://{sid}").stdout

    local = tmp_path / "new.csv"
    local.write_text("id\n1\n")
    copied = json.loads(
        run(home, "cp", str(local), f"aether://{sid}/data/new.csv", "--json").stdout
    )
    assert copied["size"] == 5
    run(home, "mv", f"aether://{sid}/pipeline.toml", f"aether://{sid}/conf/pipeline.toml")
    run(home, "rm", "-r", f"aether://{sid}/notebooks")
    status = json.loads(run(home, "status", sid, "--json").stdout)
    assert sorted((c["status"], c["path"]) for c in status["changes"]) == [
        ("added", "data/new.csv"),
        ("removed", "notebooks/explore.py"),
        ("renamed", "conf/pipeline.toml"),
    ]
    assert run(home, "cat", f"aether://{sid}/data/new.csv").stdout == "id\n1\n"

    cp = run(home, "checkpoint", "create", sid, "--name", "one").stdout.strip()
    assert cp == "one"
    run(home, "rm", f"aether://{sid}/data/new.csv")
    run(home, "restore", sid, "one")
    assert run(home, "cat", f"aether://{sid}/data/new.csv").stdout == "id\n1\n"
    names = [c["name"] for c in json.loads(run(home, "checkpoint", "ls", sid, "--json").stdout)]
    assert names[0] == "one"
    assert names[1].startswith("before-restore")

    commit = json.loads(run(home, "commit", sid, "-m", "reorganise", "--json").stdout)
    assert commit["branch"] == "main"
    log = json.loads(run(home, "log", "sales", "--json").stdout)
    assert [c["message"] for c in log] == ["reorganise", "initial import"]

    fork = run(home, "session", "fork", sid).stdout.strip()
    out = tmp_path / "out.toml"
    run(home, "cp", f"aether://{fork}/conf/pipeline.toml", str(out))
    assert out.read_text().startswith("# Daily revenue")
    shown = json.loads(run(home, "session", "show", sid, "--json").stdout)
    assert shown["status"] == "ACTIVE"
    assert shown["checkpoints"] == 2

    run(home, "session", "archive", sid)
    denied = run(home, "cp", str(local), f"aether://{sid}/x.csv", check=5)
    assert "ARCHIVED" in denied.stderr
    listed = json.loads(run(home, "session", "ls", "--status", "ARCHIVED", "--json").stdout)
    assert [s["id"] for s in listed] == [sid]


def test_cat_and_ls_at_a_checkpoint(home: Path, tmp_path: Path) -> None:
    sid = run(home, "session", "create").stdout.strip()
    local = tmp_path / "a.csv"
    local.write_text("id\n1\n")
    run(home, "cp", str(local), f"aether://{sid}/data/a.csv")
    run(home, "checkpoint", "create", sid, "--name", "one")
    run(home, "rm", "-r", f"aether://{sid}/data")

    target = f"aether://{sid}/data/a.csv"
    assert run(home, "cat", target, "--at", "one").stdout == "id\n1\n"
    listed = json.loads(run(home, "ls", f"aether://{sid}/data", "--at", "one", "--json").stdout)
    assert [e["name"] for e in listed] == ["a.csv"]
    assert "nosuch" in run(home, "cat", target, "--at", "nosuch", check=3).stderr
    assert "checkpoint" in run(home, "cat", target, "--at", "no good", check=2).stderr
    run(home, "cat", target, check=3)  # gone from the session as it is now


def test_conflicting_commit_exits_4_and_lists_paths(home: Path, tmp_path: Path) -> None:
    run(home, "source", "create", "s", "--from", str(STARTER))
    one = run(home, "session", "create", "--source", "s").stdout.strip()
    two = run(home, "session", "create", "--source", "s").stdout.strip()
    for sid, text in [(one, "one"), (two, "two")]:
        local = tmp_path / f"{text}.md"
        local.write_text(text)
        run(home, "cp", str(local), f"aether://{sid}/README.md")
    run(home, "commit", one, "-m", "one")
    proc = run(home, "commit", two, "-m", "two", check=4)
    assert "README.md" in proc.stdout
    assert json.loads(run(home, "session", "show", two, "--json").stdout)["status"] == "CONFLICT"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["cat", "not-a-target"], 2, "aether://SESSION/path"),
        (["cat", "aether://s-missing/x"], 3, "s-missing"),
        (["session", "create", "--source", "nosuch"], 3, "nosuch"),
        (["session", "create", "--template", "nosuch"], 3, "no template"),
        (["log", "@main"], 2, "SOURCE@REF"),
    ],
)
def test_bad_input_gets_a_clear_error(home: Path, args: list[str], code: int, message: str) -> None:
    proc = run(home, *args, check=code)
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_diff_merge_promote_resolve(home: Path, tmp_path: Path) -> None:
    run(home, "source", "create", "s", "--from", str(STARTER))
    a = run(home, "session", "create", "--source", "s").stdout.strip()
    b = run(home, "session", "fork", a).stdout.strip()
    note = tmp_path / "note.md"
    note.write_text("note")
    run(home, "cp", str(note), f"aether://{b}/note.md")
    run(home, "checkpoint", "create", b, "--name", "with-note")
    run(home, "rm", f"aether://{b}/README.md")

    rows = json.loads(run(home, "diff", "s", f"{b}:with-note", "--json").stdout)
    assert [(r["status"], r["path"]) for r in rows] == [("added", "note.md")]
    rows = json.loads(run(home, "diff", "s@main", b, "--json").stdout)
    assert sorted((r["status"], r["path"]) for r in rows) == [
        ("added", "note.md"),
        ("removed", "README.md"),
    ]
    assert run(home, "diff", "s", "nosuch", check=3).stderr

    run(home, "merge", a, b)
    assert run(home, "cat", f"aether://{a}/note.md").stdout == "note"

    promoted = json.loads(run(home, "promote", a, "--branch", "feature", "--json").stdout)
    assert promoted["ref"] == "feature"
    assert (
        json.loads(run(home, "log", "s@feature", "--json").stdout)[0]["commit"]
        == promoted["commit"]
    )
    run(home, "promote", a, "--branch", "feature", check=4)

    # a conflict, resolved by keeping the branch's version
    one = run(home, "session", "create", "--source", "s").stdout.strip()
    two = run(home, "session", "create", "--source", "s").stdout.strip()
    for sid, text in [(one, "one"), (two, "two")]:
        note.write_text(text)
        run(home, "cp", str(note), f"aether://{sid}/README.md")
    run(home, "commit", one, "-m", "one")
    run(home, "commit", two, "-m", "two", check=4)
    run(home, "resolve", two, "--take", "branch")
    reader = run(home, "session", "create", "--source", "s").stdout.strip()
    assert run(home, "cat", f"aether://{reader}/README.md").stdout == "one"


def test_import_archive_git_url_and_export(home: Path, tmp_path: Path) -> None:
    archive = tmp_path / "starter.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(STARTER, arcname=".")
    sid = run(home, "session", "create", "--from", str(archive)).stdout.strip()
    assert "pipeline.toml" in run(home, "ls", f"aether://{sid}").stdout

    url_sid = run(home, "session", "create", "--from", STARTER.as_uri()).stdout.strip()
    assert run(home, "diff", sid, url_sid, "--json").stdout.strip() == "[]"

    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text("from git\n")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    out = json.loads(run(home, "source", "create", "g", "--from", f"git+{repo}", "--json").stdout)
    log = json.loads(run(home, "log", "g", "--json").stdout)
    assert log[0]["commit"] == out["commit"]
    gsid = run(home, "session", "create", "--source", "g").stdout.strip()
    assert run(home, "cat", f"aether://{gsid}/a.txt").stdout == "from git\n"
    assert head.stdout.strip()  # the git commit is recorded as provenance on the source

    folder = tmp_path / "exported"
    shown = json.loads(run(home, "export", sid, str(folder), "--json").stdout)
    assert shown["destination"] == str(folder)
    assert (folder / "pipeline.toml").read_bytes() == (STARTER / "pipeline.toml").read_bytes()
    zipped = tmp_path / "out.zip"
    run(home, "export", sid, str(zipped))
    again = run(home, "session", "create", "--from", str(zipped)).stdout.strip()
    assert run(home, "diff", sid, again, "--json").stdout.strip() == "[]"
    run(home, "export", sid, str(zipped), check=4)  # never overwrites

    bad = tmp_path / "evil.tar"
    with tarfile.open(bad, "w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 0
        tar.addfile(info)
    proc = run(home, "session", "create", "--from", str(bad), check=2)
    assert "escape.txt" in proc.stderr
    assert len(json.loads(run(home, "session", "ls", "--json").stdout)) == 4


def test_source_ls_and_retire(home: Path) -> None:
    run(home, "source", "create", "b", "--template", "starter")
    run(home, "source", "create", "a")
    assert run(home, "source", "ls").stdout.split() == ["a", "b"]
    run(home, "source", "tag", "b", "v1")
    run(home, "source", "branch", "b", "dev", "--at", "v1")
    refs = json.loads(run(home, "source", "refs", "b", "--json").stdout)
    assert sorted((r["name"], r["kind"]) for r in refs) == [
        ("dev", "branch"),
        ("main", "branch"),
        ("v1", "tag"),
    ]
    run(home, "source", "tag", "b", "v1", check=4)
    sid = run(home, "session", "create", "--source", "b").stdout.strip()
    retired = json.loads(run(home, "session", "retire", sid, "--json").stdout)
    assert retired["status"] == "RETIRED"
    names = [c["name"] for c in json.loads(run(home, "checkpoint", "ls", sid, "--json").stdout)]
    assert names == ["retired"]
    assert run(home, "diff", "b", f"{sid}:retired", "--json").stdout.strip() == "[]"
    run(home, "rm", f"aether://{sid}/README.md", check=5)


def test_cp_into_a_folder_and_clear_errors_for_missing_files(home: Path, tmp_path: Path) -> None:
    sid = run(home, "session", "create", "--template", "starter").stdout.strip()
    out = tmp_path / "out"
    out.mkdir()
    run(home, "cp", f"aether://{sid}/README.md", str(out))
    assert (out / "README.md").read_bytes() == (STARTER / "README.md").read_bytes()
    missing_local = run(home, "cp", str(tmp_path / "nope"), f"aether://{sid}/x", check=3)
    assert "not a local file" in missing_local.stderr
    run(home, "cp", f"aether://{sid}/nope.txt", str(out / "n.txt"), check=3)
    assert sorted(p.name for p in out.iterdir()) == ["README.md"]  # no partial file left
