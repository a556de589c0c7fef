"""The ``aether`` command line against a live server (``--server URL --token T``): the same
verbs print the same output as embedded; local-only verbs refuse. The token comes from the
credentials file in the real executable too."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _cli import config_home, run, run_executable

from aether_data.cli._credentials import save_token

STARTER = Path(__file__).resolve().parents[2] / "sample_workspaces" / "starter"

Aether = Callable[..., str]


def _embedded(home: Path) -> Aether:
    return lambda *args, check=0: run(home, *args, check=check).stdout


def _remote(home: Path, server: Any) -> Aether:
    flags = ("--server", server.url, "--token", server.token)
    return lambda *args, check=0: run(home, *flags, *args, check=check).stdout


def _round_trip(aether: Aether, work: Path) -> list[str]:
    """The steps of a session's life; every output, with ids and folders made neutral."""
    work.mkdir()
    (work / "in.csv").write_text("id,amount\n1,10\n")
    sid = aether("session", "create", "--template", "analytics").strip()
    out = [
        aether("cp", str(work / "in.csv"), f"aether://{sid}/data/in.csv", "--json"),
        aether("ls", f"aether://{sid}/data", "--json"),
        aether("ls", f"aether://{sid}"),
        aether("cat", f"aether://{sid}/data/in.csv"),
        aether("cp", f"aether://{sid}/README.md", str(work / "readme.md")),
        (work / "readme.md").read_text(),
        aether("rm", f"aether://{sid}/README.md", "--json"),
        aether("checkpoint", "create", sid, "--name", "one", "--json"),
        aether("rm", "-r", f"aether://{sid}/data"),
        aether("restore", sid, "one"),
        aether("export", sid, str(work / "out.tar"), "--json"),
        hashlib.sha256((work / "out.tar").read_bytes()).hexdigest(),
        aether("status", sid, "--json"),
    ]
    fork = aether("session", "fork", sid).strip()
    aether("mv", f"aether://{fork}/data/in.csv", f"aether://{fork}/data/moved.csv")
    aether("cp", f"aether://{sid}/data/in.csv", f"aether://{fork}/copy.csv")
    out += [
        aether("diff", sid, fork, "--json"),
        aether("diff", sid, fork),
        aether("diff", f"{sid}:one", sid),
        aether("checkpoint", "create", fork, "--name", "two"),
    ]
    return [o.replace(sid, "<S>").replace(fork, "<F>").replace(str(work), "<W>") for o in out]


def test_round_trip_matches_embedded(tmp_path: Path, live_server: Any) -> None:
    embedded = _round_trip(_embedded(tmp_path / "home"), tmp_path / "e")
    remote = _round_trip(_remote(tmp_path / "home", live_server), tmp_path / "r")
    assert remote == embedded
    assert '"size": 15' in embedded[0]
    assert embedded[-3].splitlines() == [  # renames pair in path order
        "renamed   data/in.csv -> copy.csv",
        "added     data/moved.csv",
    ]


@pytest.mark.parametrize(
    "verb",
    [
        ["fsck"],
        ["gc", "--dry-run"],
        ["tree", "write", "."],
        ["tree", "ls", "0" * 64],
        ["object", "cat", "0" * 64],
        ["object", "info", "0" * 64],
    ],
)
def test_local_only_verbs_refuse_remote(tmp_path: Path, live_server: Any, verb) -> None:
    proc = run(tmp_path / "home", "--server", live_server.url, *verb, check=2)
    assert "without --server" in proc.stderr
    assert not (tmp_path / "home").exists()  # nothing was opened locally


def test_token_from_credentials_file_and_clear_401(tmp_path: Path, live_server: Any) -> None:
    home = tmp_path / "home"
    denied = run_executable(home, "--server", live_server.url, "session", "ls", check=5)
    assert "--token" in denied.stderr
    assert "aether token create" in denied.stderr
    save_token(config_home(home) / "aether", live_server.url + "/", live_server.token)
    run_executable(home, "session", "ls", AETHER_SERVER=live_server.url)


def test_remote_token_admin(tmp_path: Path, live_server: Any) -> None:
    aether = _remote(tmp_path / "home", live_server)
    made = json.loads(aether("token", "create", "ci", "--read-only", "--json"))
    listed = json.loads(aether("token", "ls", "--json"))
    assert made["id"] in [t["id"] for t in listed]
    reader = ("--server", live_server.url, "--token", made["secret"])
    run(tmp_path / "home", *reader, "session", "ls")
    assert "session.write" in run(tmp_path / "home", *reader, "session", "create", check=5).stderr
    assert "admin" in run(tmp_path / "home", *reader, "token", "ls", check=5).stderr
    aether("token", "revoke", made["id"])
    assert "revoked" in run(tmp_path / "home", *reader, "session", "ls", check=5).stderr


def test_remote_uploads_folders_and_archives(tmp_path: Path, live_server: Any) -> None:
    aether = _remote(tmp_path / "home", live_server)
    archive = tmp_path / "starter.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(STARTER, arcname=".")
    from_folder = json.loads(aether("session", "create", "--from", str(STARTER), "--json"))
    from_archive = aether("session", "create", "--from", str(archive), "--name", "a").strip()
    assert aether("diff", from_folder["id"], from_archive, "--json").strip() == "[]"
    assert "pipeline.toml" in aether("ls", f"aether://{from_archive}")

    assert aether("source", "create", "s", "--from", str(STARTER)).strip() == "s"
    assert aether("source", "create", "t", "--template", "starter").strip() == "t"
    log = json.loads(aether("log", "s", "--json"))
    assert [c["message"] for c in log] == ["initial import"]
    assert log[0]["tree"] == from_folder["base_tree"]
    sid = aether("session", "create", "--source", "s").strip()
    assert aether("diff", from_folder["id"], sid, "--json").strip() == "[]"

    assert aether("diff", "s", sid, "--json").strip() == "[]"
    (tmp_path / "note.txt").write_text("a note\n")
    aether("cp", str(tmp_path / "note.txt"), f"aether://{sid}/extra/note.txt")
    added = json.loads(aether("diff", "s@main", sid, "--prefix", "extra", "--json"))
    assert [(c["status"], c["path"]) for c in added] == [("added", "extra/note.txt")]
    assert json.loads(aether("diff", "s", sid, "--prefix", "other", "--json")) == []
    refused = run(
        tmp_path / "home",
        "--server",
        live_server.url,
        "--token",
        live_server.token,
        "diff",
        "0" * 64,
        sid,
        check=2,
    )
    assert "against a server" in refused.stderr

    folder = tmp_path / "exported"
    aether("export", sid, str(folder))
    assert (folder / "pipeline.toml").read_bytes() == (STARTER / "pipeline.toml").read_bytes()
    aether("export", sid, str(folder), check=4)

    refused = run(
        tmp_path / "home",
        "--server",
        live_server.url,
        "--token",
        live_server.token,
        "session",
        "create",
        "--from",
        "https://example.org/x.tar",
        check=2,
    )
    assert "aether source create NAME --from https://example.org/x.tar" in refused.stderr


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[str]:
    """An http:// URL of a folder holding starter.tar.gz, served from a thread."""
    served = tmp_path / "served"
    served.mkdir()
    with tarfile.open(served / "starter.tar.gz", "w:gz") as tar:
        tar.add(STARTER, arcname=".")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_remote_source_imports_a_url(tmp_path: Path, live_server: Any, http_folder: str) -> None:
    aether = _remote(tmp_path / "home", live_server)
    made = json.loads(
        aether("source", "create", "web", "--from", f"{http_folder}/starter.tar.gz", "--json")
    )
    log = json.loads(aether("log", "web", "--json"))
    assert log[0]["commit"] == made["commit"]
    sid = aether("session", "create", "--source", "web").strip()
    assert "pipeline.toml" in aether("ls", f"aether://{sid}")
    failed = run(
        tmp_path / "home",
        "--server",
        live_server.url,
        "--token",
        live_server.token,
        "source",
        "create",
        "gone",
        "--from",
        f"{http_folder}/missing.tar",
        check=1,
    )
    assert "failed" in failed.stderr


def test_remote_upload_of_a_folder_with_a_fifo_fails_whole(
    tmp_path: Path, live_server: Any
) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    os.mkfifo(folder / "pipe")
    aether = _remote(tmp_path / "home", live_server)
    flags = ("--server", live_server.url, "--token", live_server.token)
    proc = run(tmp_path / "home", *flags, "session", "create", "--from", str(folder), check=2)
    assert "pipe" in proc.stderr
    assert aether("session", "ls", "--json").strip() == "[]"


def test_config_file_names_the_server_and_token(tmp_path: Path, live_server: Any) -> None:
    config = tmp_path / "aether.toml"
    config.write_text(f'server = "{live_server.url}"\ntoken = "{live_server.token}"\n')
    sid = run(tmp_path / "home", "--config", str(config), "session", "create").stdout.strip()
    listed = run(tmp_path / "home", "session", "ls", AETHER_CONFIG=str(config)).stdout
    assert sid in listed
    assert not (tmp_path / "home").exists()  # the session lives on the server
    missing = run(tmp_path / "home", "--config", str(tmp_path / "nope.toml"), "ls", check=2)
    assert "nope.toml" in missing.stderr
