"""``aether kv``, ``aether bus`` and ``aether events``, end to end (``tests/cli/_cli.py``; a
following tail in a process of its own): embedded against a real AETHER_HOME, and remote
against a live server once the client speaks ``ReviewAPI``."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from _cli import AETHER, isolated_env, run

from aether_data.client import AetherClient

needs_client_review = pytest.mark.skipif(
    not hasattr(AetherClient, "subscribe"),
    reason="AetherClient does not implement ReviewAPI yet (temporary: the client methods are "
    "being added now); the remote path of kv/bus/events stays untested until they land",
)


class Aether:
    """Runs ``aether`` against one data folder, embedded or (with ``flags``) a server."""

    def __init__(self, home: Path, *flags: str) -> None:
        self.home = home
        self.flags = flags

    def __call__(
        self, *args: str, check: int | None = 0, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.raw(*args, check=check, stdin=stdin, text=True)

    def raw(
        self, *args: str, check: int | None = 0, stdin: Any = None, text: bool = False
    ) -> subprocess.CompletedProcess[Any]:
        return run(self.home, *self.flags, *args, check=check, stdin=stdin, text=text)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """The real executable in a process of its own, running beside the test."""
        return subprocess.Popen(
            [AETHER, *self.flags, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=isolated_env(self.home),
        )


@pytest.fixture
def embedded(tmp_path: Path) -> Aether:
    return Aether(tmp_path / "home")


@pytest.fixture
def remote(tmp_path: Path, live_server: Any) -> Aether:
    return Aether(tmp_path / "home", "--server", live_server.url, "--token", live_server.token)


def _session(aether: Aether) -> str:
    return aether("session", "create").stdout.strip()


def _kv_round_trip(aether: Aether, tmp_path: Path) -> None:
    sid = _session(aether)
    assert aether("kv", "put", sid, "notes/a", "hello", "--create-only").returncode == 0
    aether("kv", "put", sid, "notes/a", "again", "--create-only", check=4)
    stale = aether("kv", "put", sid, "notes/a", "x", "--expect-version", "7", check=4)
    assert "expected version 7" in stale.stderr
    put = json.loads(
        aether("kv", "put", sid, "notes/a", "v2", "--expect-version", "1", "--json").stdout
    )
    assert (put["key"], put["version"], put["size"]) == ("notes/a", 2, 2)
    assert aether("kv", "get", sid, "notes/a").stdout == "v2"

    blob = bytes(range(256)) + b"\r\n\x00"
    (tmp_path / "blob.bin").write_bytes(blob)
    aether("kv", "put", sid, "notes/blob", "--file", str(tmp_path / "blob.bin"))
    assert aether.raw("kv", "get", sid, "notes/blob").stdout == blob
    meta = json.loads(aether("kv", "get", sid, "notes/blob", "--json").stdout)
    assert meta["size"] == len(blob)
    assert meta["version"] == 1

    aether("kv", "put", sid, "other", "-", stdin="from stdin")
    assert aether("kv", "get", sid, "other").stdout == "from stdin"

    listed = json.loads(aether("kv", "ls", sid, "--prefix", "notes/", "--json").stdout)
    assert [(e["key"], e["version"]) for e in listed] == [("notes/a", 2), ("notes/blob", 1)]
    assert set(listed[0]) == {"key", "version", "size", "author", "created_at", "updated_at"}
    assert aether("kv", "ls", sid).stdout.splitlines()[0].startswith("notes/a  ")

    aether("kv", "rm", sid, "notes/a", "--expect-version", "1", check=4)
    aether("kv", "rm", sid, "notes/a", "--expect-version", "2")
    aether("kv", "get", sid, "notes/a", check=3)
    assert aether("kv", "rm", sid, "--prefix", "notes/").stdout.strip() == "1"
    assert [e["key"] for e in json.loads(aether("kv", "ls", sid, "--json").stdout)] == ["other"]


def _bus_round_trip(aether: Aether) -> None:
    assert aether("bus", "publish", "ci.start", '{"run": 1}').stdout.strip().isdigit()
    aether("bus", "publish", "ci.done", '"ok"')
    lines = aether("bus", "tail", "--last", "2", "--count", "2", "--json").stdout.splitlines()
    messages = [json.loads(line) for line in lines]
    assert [(m["topic"], m["body"]) for m in messages] == [
        ("ci.start", {"run": 1}),
        ("ci.done", "ok"),
    ]
    first = messages[0]["seq"]
    text = aether("bus", "tail", "ci.d*", "--after", "0", "--count", "1").stdout
    assert text == f'{first + 1} ci.done "ok"\n'


def _bus_tail_follows(aether: Aether) -> None:
    """Without --after/--last only new messages show: publish until the tail has one."""
    tail = aether.popen("bus", "tail", "live.*", "--count", "1")
    try:
        deadline = time.monotonic() + 60
        while tail.poll() is None and time.monotonic() < deadline:
            aether("bus", "publish", "live.ping", "1")
            time.sleep(0.2)
        out, err = tail.communicate(timeout=10)
    finally:
        if tail.poll() is None:
            tail.kill()
    assert tail.returncode == 0, err
    seq, topic, body = out.strip().split(" ")
    assert (topic, body) == ("live.ping", "1")
    assert int(seq) > 0


def _errors(aether: Aether) -> None:
    assert "not a topic" in aether("bus", "publish", "bad topic", "1", check=2).stderr
    assert "not JSON" in aether("bus", "publish", "ci.x", "{nope", check=2).stderr
    aether("bus", "publish", "ci.x", "1", "--session", "s-0000000000000000", check=3)
    aether("kv", "get", "s-0000000000000000", "k", check=3)
    aether("kv", "put", "s-0000000000000000", "k", "v", check=3)
    aether("kv", "get", "no-such-source", "k", "--source", check=3)
    sid = _session(aether)
    aether("kv", "put", sid, "k", check=2)  # no value at all
    aether("kv", "put", sid, "k", "v", "--create-only", "--expect-version", "1", check=2)
    aether("kv", "rm", sid, "k", "--prefix", "x", check=2)


def test_kv_round_trip(embedded: Aether, tmp_path: Path) -> None:
    _kv_round_trip(embedded, tmp_path)


def test_kv_of_a_source(embedded: Aether) -> None:
    embedded("source", "create", "sales")
    embedded("kv", "put", "sales", "owner", "team-a", "--source")
    assert embedded("kv", "get", "sales", "owner", "--source").stdout == "team-a"
    assert "owner" in embedded("kv", "ls", "sales", "--source").stdout


def test_bus_publish_then_tail(embedded: Aether) -> None:
    _bus_round_trip(embedded)
    _bus_tail_follows(embedded)


def test_bus_session_messages(embedded: Aether) -> None:
    sid = _session(embedded)
    embedded("bus", "publish", "all.hi", "1")
    embedded("bus", "publish", "one.hi", "2", "--session", sid)
    both = embedded("bus", "tail", "--session", sid, "--after", "0", "--count", "2").stdout
    assert [line.split(" ")[1] for line in both.splitlines()] == ["all.hi", "one.hi"]
    only = embedded(
        "bus", "tail", "--session", sid, "--session-only", "--last", "5", "--count", "1"
    ).stdout
    assert only.split(" ")[1] == "one.hi"


def test_events_list_and_tail(embedded: Aether) -> None:
    sid = _session(embedded)
    embedded("kv", "put", sid, "a", "1")
    embedded("kv", "put", sid, "b", "2")
    embedded("kv", "rm", sid, "a")
    events = json.loads(embedded("events", "--type", "kv.*", "--json").stdout)
    assert [(e["type"], e["subject"], e["actor"]) for e in events] == [
        ("kv.put", "a", "local"),
        ("kv.put", "b", "local"),
        ("kv.delete", "a", "local"),
    ]
    assert all(e["session_id"] == sid for e in events)
    assert len(json.loads(embedded("events", "--limit", "2", "--json").stdout)) == 2
    assert "kv.put" in embedded("events", "--session", sid).stdout
    assert embedded("events", "--since", "2999-01-01", "--json").stdout.strip() == "[]"
    embedded("events", "--until", "not-a-date", check=2)

    first = embedded("events", "tail", "--after", "0", "--count", "1").stdout.split(" ")
    assert (first[0], first[2], first[3]) == ("1", "local", "session.create")
    tailed = embedded("events", "tail", "--type", "kv.*", "--after", "0", "--count", "2", "--json")
    assert [json.loads(line)["subject"] for line in tailed.stdout.splitlines()] == ["a", "b"]


def test_errors_exit_by_meaning(embedded: Aether) -> None:
    _errors(embedded)


@pytest.mark.parametrize("verb", [["kv"], ["kv", "put"], ["bus", "tail"], ["events", "tail"]])
def test_help(embedded: Aether, verb: list[str]) -> None:
    assert "Usage: aether" in embedded(*verb, "--help").stdout


@needs_client_review
def test_remote(remote: Aether, tmp_path: Path) -> None:
    _kv_round_trip(remote, tmp_path)
    _bus_round_trip(remote)
    _bus_tail_follows(remote)
    _errors(remote)
    events = json.loads(remote("events", "--type", "kv.*", "--json").stdout)
    assert {e["type"] for e in events} >= {"kv.put", "kv.delete", "kv.delete_prefix"}
    assert remote("events", "tail", "--after", "0", "--count", "1").stdout.strip()
