"""Tenants: one tenant's sessions, sources and jobs are invisible to another, exactly as if they
did not exist (same error, same message), and nothing of theirs can be changed."""

from __future__ import annotations

import pytest

from aether_data.errors import Conflict, NotFound
from aether_data.service import Services, open_services
from aether_data.settings import Settings


@pytest.fixture
def services(tmp_path) -> Services:
    with open_services(Settings.for_home(tmp_path)) as opened:
        yield opened


def _message(call) -> str:
    with pytest.raises(NotFound) as caught:
        call()
    return str(caught.value)


def test_other_tenants_session_reads_as_unknown(services: Services) -> None:
    alice, bob = services.workspace("alice"), services.workspace("bob")
    session = alice.create_session(name="mine")
    alice.write(session.id, "secret.txt", b"alice only")
    calls = {
        "get": bob.get_session,
        "read": lambda sid: bob.read(sid, "secret.txt"),
        "write": lambda sid: bob.write(sid, "x", b"bob"),
        "fork": bob.fork,
        "delete": lambda sid: bob.delete(sid, "secret.txt"),
        "retire": bob.retire,
        "diff": bob.diff,
        "checkpoint": bob.checkpoint,
    }
    for name, call in calls.items():
        hidden = _message(lambda call=call: call(session.id))
        unknown = _message(lambda call=call: call("s-0000000000000000"))
        assert hidden == unknown.replace("s-0000000000000000", session.id), name
    assert alice.read(session.id, "secret.txt") == b"alice only"
    assert alice.get_session(session.id).version == session.version + 1
    assert bob.list_sessions().items == []


def test_sessions_of_other_tenants_cannot_be_merged_or_diffed_in(services: Services) -> None:
    alice, bob = services.workspace("alice"), services.workspace("bob")
    theirs = alice.create_session()
    mine = bob.create_session()
    with pytest.raises(NotFound):
        bob.merge_from(mine.id, theirs.id)
    with pytest.raises(NotFound):
        bob.diff(mine.id, against=f"session:{theirs.id}")
    with pytest.raises(NotFound):
        bob.create_session(checkpoint=(theirs.id, "anything"))


def test_sources_are_per_tenant_but_names_are_global(services: Services) -> None:
    alice, bob = services.workspace("alice"), services.workspace("bob")
    alice.create_source("sales")
    assert _message(lambda: bob.get_source("sales")) == "no source 'sales'"
    with pytest.raises(NotFound):
        bob.create_session(source="sales")
    with pytest.raises(NotFound):
        bob.log("sales")
    with pytest.raises(Conflict):  # names are unique across tenants, like bucket names
        bob.create_source("sales")
    assert [s.name for s in alice.list_sources().items] == ["sales"]
    assert bob.list_sources().items == []


def test_forks_stay_in_their_tenant(services: Services) -> None:
    alice = services.workspace("alice")
    child = alice.fork(alice.create_session().id)
    assert [s.id for s in alice.list_sessions().items][-1] == child.id
    assert services.workspace("bob").list_sessions().items == []
