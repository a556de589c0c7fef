"""``aether annotate``/``annotations``, ``approvals``/``approve``, ``checks`` and ``branch``,
end to end (``tests/cli/_cli.py``): embedded against a real AETHER_HOME (the reviewer is another
AETHER_ACTOR), and remote against a live server (the reviewer is another token)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _cli import run


@dataclass(frozen=True)
class Aether:
    """Runs ``aether`` against one data folder, embedded or (with ``flags``) a server, with
    ``env`` (such as AETHER_ACTOR) on top of an isolated environment."""

    home: Path
    flags: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
        return run(self.home, *self.flags, *args, check=check, **self.env)

    def out(self, *args: str) -> str:
        return self(*args).stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def embedded(tmp_path: Path) -> Aether:
    return Aether(tmp_path / "home")


@pytest.fixture
def reviewer(embedded: Aether) -> Aether:
    return Aether(embedded.home, env={"AETHER_ACTOR": "bob"})


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "orders.json").write_text('{"id": 1}\n')
    (folder / "notes.md").write_text("one\ntwo\nthree\nfour\n")
    return folder


def _put(aether: Aether, tmp_path: Path, session: str, path: str, text: str) -> None:
    local = tmp_path / "upload"
    local.write_text(text)
    aether("cp", str(local), f"aether://{session}/{path}")


def _source_session(aether: Aether, files: Path) -> str:
    aether("source", "create", "sales", "--from", str(files))
    return aether.out("session", "create", "--source", "sales").strip()


# ------------------------------------------------------------------------------- annotations
def _annotations(aether: Aether, tmp_path: Path, sid: str) -> None:
    first = aether.out("annotate", sid, "notes.md", "why two?\nsee the spec", "--lines", "2-3")
    first = first.strip()
    assert first.startswith("ann-")
    stat = aether.json("ls", f"aether://{sid}")
    notes_hash = next(e["id"] for e in stat if e["name"] == "notes.md")
    orders_hash = aether.json("ls", f"aether://{sid}/data")[0]["id"]
    second = aether.json(
        "annotate", sid, "data/orders.json", "ids 1+", "--line", "1", "--expect-hash", orders_hash
    )
    assert (second["lines"], second["state"], second["outdated"]) == ([1, 1], "open", False)

    table = aether.out("annotations", "ls", sid).splitlines()
    assert [line.split()[:3] for line in table] == [
        [first, "open", "notes.md:2-3"],
        [second["id"], "open", "data/orders.json:1"],
    ]
    assert table[0].endswith("why two?")  # the first line of the body
    listed = aether.json("annotations", "ls", sid, "--path", "data")
    assert [a["id"] for a in listed] == [second["id"]]
    shown = aether.json("annotations", "show", sid, first)
    assert (shown["content_hash"], shown["lines"]) == (notes_hash, [2, 3])
    text = aether.out("annotations", "show", sid, first)
    assert "path: notes.md:2-3" in text
    assert text.rstrip().endswith("why two?\nsee the spec")

    _put(aether, tmp_path, sid, "notes.md", "rewritten\n")
    outdated = aether.json("annotations", "ls", sid, "--state", "outdated")
    assert [(a["id"], a["outdated"]) for a in outdated] == [(first, True)]
    assert aether.out("annotations", "resolve", sid, first).strip() == f"{first} resolved"
    assert aether.json("annotations", "ls", sid, "--state", "resolved")[0]["id"] == first
    assert aether.out("annotations", "reopen", sid, first).strip() == f"{first} outdated"
    assert aether.json("annotations", "ls", sid, "--state", "open")[0]["id"] == second["id"]


def _annotation_errors(aether: Aether, sid: str) -> None:
    aether("annotate", sid, "missing.md", "x", check=3)
    assert "annotate a file" in aether("annotate", sid, "data", "x", check=2).stderr
    stale = aether("annotate", sid, "notes.md", "x", "--expect-hash", "0" * 64, check=4)
    assert "changed" in stale.stderr
    aether("annotate", sid, "notes.md", "x", "--lines", "1-2", "--line", "1", check=2)
    aether("annotate", sid, "notes.md", "x", "--lines", "two", check=2)
    aether("annotate", sid, "notes.md", "x", "--lines", "3-1", check=2)
    aether("annotate", sid, "notes.md", "  ", check=2)
    aether("annotations", "ls", sid, "--state", "closed", check=2)
    aether("annotations", "show", sid, "ann-0000000000000000", check=3)
    aether("annotations", "ls", "s-0000000000000000", check=3)


def test_annotations(embedded: Aether, reviewer: Aether, tmp_path: Path, files: Path) -> None:
    sid = _source_session(embedded, files)
    _annotations(embedded, tmp_path, sid)
    _annotation_errors(embedded, sid)
    reviewer("annotate", sid, "notes.md", "from bob")
    assert [a["body"] for a in embedded.json("annotations", "ls", sid, "--author", "bob")] == [
        "from bob"
    ]


def test_annotation_outdated_by_a_session_copy(embedded: Aether, files: Path) -> None:
    sid = _source_session(embedded, files)
    aid = embedded.out("annotate", sid, "data/orders.json", "check ids").strip()
    other = embedded.out("session", "create").strip()
    (files / "data" / "orders.json").write_text('{"id": 2}\n')
    embedded("cp", str(files / "data" / "orders.json"), f"aether://{other}/orders.json")
    embedded("cp", f"aether://{other}/orders.json", f"aether://{sid}/data/orders.json")
    assert embedded.json("annotations", "show", sid, aid)["state"] == "outdated"
    embedded("rm", f"aether://{sid}/data/orders.json")
    assert embedded.json("annotations", "show", sid, aid)["state"] == "outdated"


# ------------------------------------------------------------------------------- approvals
def _approvals(author: Aether, reviewer: Aether, tmp_path: Path, sid: str) -> None:
    none = author("approve", sid, check=2)
    assert "no pending approval request" in none.stderr
    assert f"aether approvals request {sid}" in none.stderr
    asked = author.json(
        "approvals", "request", sid, "--detail", "ticket=DATA-42", "--detail", "rows=a=b"
    )
    assert (asked["state"], asked["reason"]) == ("pending", "COMMIT_TO_MAIN")
    assert asked["details"] == {"ticket": "DATA-42", "rows": "a=b"}
    again = author.out("approvals", "request", sid, "--detail", "ticket=DATA-42").strip()
    assert again == asked["id"]  # the same pending request
    self_approval = author("approve", sid, check=5)
    assert "cannot decide it" in self_approval.stderr
    author("approvals", "grant", sid, asked["id"], check=5)

    other = author.out("approvals", "request", sid, "--reason", "COMMIT").strip()
    several = reviewer("approve", sid, check=2)
    assert asked["id"] in several.stderr
    assert other in several.stderr
    denied = reviewer.json("approvals", "deny", sid, other, "--comment", "not yet")
    assert (denied["state"], denied["comment"]) == ("denied", "not yet")
    reviewer("approvals", "grant", sid, other, check=4)  # decided already

    granted = reviewer.out("approve", sid, "--comment", "fine").strip()
    assert granted.startswith(f"{asked['id']} granted by ")
    table = author.out("approvals", "ls", sid).splitlines()
    assert [line.split()[:3] for line in table] == [
        [asked["id"], "granted", "COMMIT_TO_MAIN"],
        [other, "denied", "COMMIT"],
    ]
    assert table[0].endswith("fine")

    late = author.out("approvals", "request", sid).strip()
    _put(author, tmp_path, sid, "notes.md", "changed after the requests\n")
    stale = author.json("approvals", "ls", sid, "--state", "stale")
    assert [a["id"] for a in stale] == [asked["id"], late]
    assert "changed since" in reviewer("approvals", "grant", sid, late, check=4).stderr


def test_approvals(embedded: Aether, reviewer: Aether, tmp_path: Path, files: Path) -> None:
    sid = _source_session(embedded, files)
    _approvals(embedded, reviewer, tmp_path, sid)
    loose = embedded.out("session", "create").strip()
    assert embedded.json("approvals", "request", loose)["reason"] == "COMMIT"  # no source
    embedded("approvals", "request", sid, "--reason", "lower case", check=2)
    embedded("approvals", "request", sid, "--detail", "no-equals", check=2)
    embedded("approvals", "request", sid, "--detail", "k=1", "--detail", "k=2", check=2)
    embedded("approvals", "grant", sid, "apr-0000000000000000", check=3)


# ------------------------------------------------------------------------------- checks
def _checks(aether: Aether, tmp_path: Path, sid: str) -> None:
    names = [c["name"] for c in aether.json("checks", "ls")]
    assert {"no-conflict-markers", "valid-json"} <= set(names)
    assert "valid-json" in aether.out("checks", "ls")

    passed = aether("checks", "run", sid, "valid-json", "no-conflict-markers")
    assert passed.stdout.splitlines() == [
        "passed  valid-json: no invalid JSON files",
        "passed  no-conflict-markers: no conflict markers",
    ]
    _put(aether, tmp_path, sid, "data/broken.json", "{nope\n")
    failed = aether("checks", "run", sid, "valid-json", check=1)
    lines = failed.stdout.splitlines()
    assert lines[0] == "failed  valid-json: 1 invalid JSON files"
    assert lines[1].startswith("  data/broken.json:1: not JSON")
    runs = json.loads(aether("checks", "run", sid, "valid-json", "--json", check=1).stdout)
    assert runs[0]["findings"][0]["path"] == "data/broken.json"
    assert "no check named 'nope'" in aether("checks", "run", sid, "nope", check=2).stderr

    reports = aether.json("checks", "reports", sid)
    assert [(r["check"], r["status"], r["current"]) for r in reports] == [
        ("valid-json", "passed", False),
        ("no-conflict-markers", "passed", False),
        ("valid-json", "failed", True),
        ("valid-json", "failed", True),
    ]
    current = aether.out("checks", "reports", sid, "--current").splitlines()
    assert [line.split()[0] for line in current if not line.startswith(" ")] == [
        r["id"] for r in reports[2:]
    ]
    assert "[older tree" in aether.out("checks", "reports", sid).splitlines()[0]


def test_checks(embedded: Aether, tmp_path: Path, files: Path) -> None:
    sid = _source_session(embedded, files)
    _checks(embedded, tmp_path, sid)
    nothing = embedded("checks", "run", sid)  # main requires none
    assert nothing.stdout.startswith("no checks to run")
    assert embedded.json("checks", "run", sid) == []


def test_command_check_prints_the_tail_of_its_output(tmp_path: Path, files: Path) -> None:
    checks = json.dumps({"loud": "sh -c 'seq 1 30; echo oops >&2; exit 3'"})
    aether = Aether(tmp_path / "home", env={"AETHER_CHECKS": checks})
    sid = _source_session(aether, files)
    assert "command: sh -c" in aether.out("checks", "ls")
    lines = aether("checks", "run", sid, "loud", check=1).stdout.splitlines()
    assert lines[:2] == [
        "failed  loud: exit status 3",
        "  (output: the last 20 of 31 lines; --json: all)",
    ]
    assert lines[2] == "  | 12"
    assert lines[-1] == "  | oops"
    report = aether.json("checks", "reports", sid)[0]
    assert report["output"].startswith("1\n2\n")


# ------------------------------------------------------------------------------- policies
def _policies(aether: Aether) -> None:
    made = aether.json("branch", "protect", "sales", "main", "--check", "valid-json")
    assert (made["required_approvals"], made["required_checks"]) == (1, ["valid-json"])
    said = aether.out("branch", "protect", "sales", "feature/x", "--approvals", "2")
    assert said.strip() == "sales@feature/x protected: 2 approval(s), checks -"
    listed = aether.out("branch", "policy", "sales").splitlines()
    assert [line.split()[:3] for line in listed] == [
        ["feature/x", "approvals", "2"],
        ["main", "approvals", "1"],
    ]
    shown = aether.json("branch", "policy", "sales", "feature/x")
    assert (shown["branch"], shown["required_checks"]) == ("feature/x", [])
    assert "required_checks: valid-json" in aether.out("branch", "policy", "sales", "main")
    unknown = aether("branch", "protect", "sales", "x", "--check", "no", check=2)
    assert "no check named 'no'" in unknown.stderr
    aether("branch", "protect", "sales", "x", "--approvals", "-1", check=2)
    aether("branch", "protect", "no-such-source", "main", check=3)
    aether("branch", "unprotect", "sales", "feature/x")
    aether("branch", "unprotect", "sales", "feature/x", check=3)
    aether("branch", "policy", "sales", "feature/x", check=3)
    assert [p["branch"] for p in aether.json("branch", "policy", "sales")] == ["main"]


def test_branch_policies(embedded: Aether, files: Path) -> None:
    embedded("source", "create", "sales", "--from", str(files))
    _policies(embedded)


# ------------------------------------------------------------------------------- the gate
def _gated_commit(author: Aether, reviewer: Aether, tmp_path: Path, sid: str) -> None:
    """main of sales is protected (valid-json, one approval): a commit is refused until the
    check passes and another reviewer approves the session as it is."""
    _put(author, tmp_path, sid, "data/more.json", "[1, 2]\n")
    _put(author, tmp_path, sid, "data/broken.json", "{nope\n")
    refused = author("commit", sid, "-m", "broken", check=4)
    assert "requires checks that did not pass (valid-json: failed" in refused.stderr
    assert author.json("checks", "reports", sid, "--current")[-1]["status"] == "failed"

    author("rm", f"aether://{sid}/data/broken.json")
    waiting = author("commit", sid, "-m", "fixed", check=5)
    assert "needs 1 approval(s)" in waiting.stderr
    assert "aether approvals request" in waiting.stderr
    assert author.json("session", "show", sid)["status"] == "PENDING_APPROVAL"

    asked = author.out("approvals", "request", sid).strip()
    author("approve", sid, asked, check=5)
    reviewer("approve", sid)
    commit = author.out("commit", sid, "-m", "fixed").strip()
    assert len(commit) == 64
    assert author.json("session", "show", sid)["status"] == "ACTIVE"
    assert author.json("log", "sales", "-n", "1")[0]["commit"] == commit


def test_commit_to_a_protected_branch(
    embedded: Aether, reviewer: Aether, tmp_path: Path, files: Path
) -> None:
    sid = _source_session(embedded, files)
    embedded("branch", "protect", "sales", "main", "--check", "valid-json")
    _gated_commit(embedded, reviewer, tmp_path, sid)


@pytest.mark.parametrize(
    "verb",
    [
        ["annotate"],
        ["annotations"],
        ["annotations", "ls"],
        ["annotations", "show"],
        ["annotations", "resolve"],
        ["annotations", "reopen"],
        ["approvals"],
        ["approvals", "request"],
        ["approvals", "grant"],
        ["approvals", "deny"],
        ["approvals", "ls"],
        ["approve"],
        ["checks"],
        ["checks", "ls"],
        ["checks", "run"],
        ["checks", "reports"],
        ["branch"],
        ["branch", "protect"],
        ["branch", "unprotect"],
        ["branch", "policy"],
    ],
)
def test_help(embedded: Aether, verb: list[str]) -> None:
    assert "Usage: aether" in embedded(*verb, "--help").stdout


# ------------------------------------------------------------------------------- remote
def test_remote(tmp_path: Path, live_server: Any, files: Path) -> None:
    home = tmp_path / "home"
    author = Aether(home, ("--server", live_server.url, "--token", live_server.token))
    second = live_server.issue(["session.read", "session.write", "review.approve"])
    reviewer = Aether(home, ("--server", live_server.url, "--token", second))
    sid = _source_session(author, files)
    _annotations(author, tmp_path, sid)
    _annotation_errors(author, sid)
    _checks(author, tmp_path, sid)
    author("rm", f"aether://{sid}/data/broken.json")
    _policies(author)
    _gated_commit(author, reviewer, tmp_path, sid)

    other = author.out("session", "create", "--source", "sales").strip()
    _approvals(author, reviewer, tmp_path, other)
    reviewer("branch", "protect", "sales", "main", check=5)  # needs admin
