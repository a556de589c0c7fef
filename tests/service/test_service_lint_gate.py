"""The lint gate: a commit to a protected branch that changes SQL migrations needs a lint
report without errors for exactly that tree, and the approval request carries the report."""

from __future__ import annotations

import pytest

from aether_data.errors import ApprovalRequired, ChecksFailed
from aether_data.service import Services, open_services
from aether_data.settings import Settings

SAFE = b"-- aether-lint: ignore-file=missing-timeout\nALTER TABLE orders ADD COLUMN note text;\n"
UNSAFE = b"ALTER TABLE orders DROP COLUMN note;\n"


@pytest.fixture
def services(tmp_path, catalog_url: str) -> Services:
    with open_services(Settings.for_home(tmp_path, catalog_url=catalog_url)) as opened:
        yield opened


@pytest.fixture
def desk(services: Services):
    """Alice's session of ``src``, whose main needs one approval and lists no check."""
    alice = services.workspace(actor="alice")
    alice.create_source("src")
    session = alice.create_session(source="src")
    alice.write(session.id, "migrations/0001_init.sql", b"CREATE TABLE orders (id bigint);\n")
    alice.commit(session.id, message="init")  # main is not protected yet
    services.review(actor="admin").protect_branch("src", "main", required_approvals=1)
    return alice, services.review(actor="alice"), services.review(actor="bob"), session.id


def test_a_migration_with_lint_errors_is_refused_whatever_the_approvals(desk) -> None:
    alice, alice_review, bob, sid = desk
    alice.write(sid, "migrations/0002_drop.sql", UNSAFE)
    asked = alice_review.request_approval(sid)
    lint = asked.details["sql-lint"]
    assert lint["status"] == "failed"
    assert lint["summary"].startswith("1 lint error(s)")
    first, second = lint["findings"]  # errors first, then warnings
    assert first.startswith("migrations/0002_drop.sql:1: error [drop-column] DROP COLUMN")
    assert second.startswith("migrations/0002_drop.sql:1: warning [missing-timeout]")
    bob.grant_approval(sid, asked.id)
    with pytest.raises(ChecksFailed, match="sql-lint: failed"):
        alice.commit(sid, message="drop")
    runs = alice_review.list_check_runs(sid, current=True).items
    assert {r.check for r in runs} == {"sql-lint"}
    assert all(r.status == "failed" for r in runs)
    assert lint["report"] in {r.id for r in runs}


def test_a_clean_migration_passes_with_its_report_attached(desk) -> None:
    alice, alice_review, bob, sid = desk
    alice.write(sid, "migrations/0002_note.sql", SAFE)
    with pytest.raises(ApprovalRequired):
        alice.commit(sid, message="note")
    asked = alice_review.request_approval(sid)
    assert asked.details["sql-lint"]["status"] == "passed"
    assert asked.details["sql-lint"]["findings"] == []
    bob.grant_approval(sid, asked.id)
    alice.commit(sid, message="note")
    assert alice_review.list_check_runs(sid).items[-1].check == "sql-lint"


def test_the_report_is_bound_to_exactly_the_tree_it_judged(desk) -> None:
    alice, alice_review, bob, sid = desk
    alice.write(sid, "migrations/0002_note.sql", SAFE)
    asked = alice_review.request_approval(sid)
    bob.grant_approval(sid, asked.id)
    alice.write(sid, "migrations/0002_note.sql", UNSAFE)  # changed after the approval
    assert alice_review.get_approval(sid, asked.id).state == "stale"
    with pytest.raises(ChecksFailed, match="sql-lint"):
        alice.commit(sid, message="sneaky")


def test_other_changes_do_not_run_the_linter(desk) -> None:
    alice, alice_review, bob, sid = desk
    alice.write(sid, "notes.md", b"no SQL here\n")
    asked = alice_review.request_approval(sid)
    assert "sql-lint" not in asked.details
    bob.grant_approval(sid, asked.id)
    alice.commit(sid, message="notes")
    assert alice_review.list_check_runs(sid).items == []


def test_the_gate_reads_the_migrations_folder_from_aether_toml(desk) -> None:
    alice, alice_review, _, sid = desk
    alice.write(sid, "aether.toml", b'[lint]\nmigrations = "db"\n')
    alice.write(sid, "db/0001.sql", UNSAFE)
    assert alice_review.request_approval(sid).details["sql-lint"]["status"] == "failed"


def test_a_tree_is_linted_once_for_its_request_and_its_commit(services, desk) -> None:
    from aether_data.review import TreeFiles  # noqa: PLC0415
    from aether_data.service._lint_check import lint_tree  # noqa: PLC0415

    alice, _, _, sid = desk
    alice.write(sid, "migrations/0002_note.sql", SAFE)
    record = services.workspace(actor="alice").owned_session(sid)
    tree = TreeFiles(services.store, services.sessions.tree(record))
    first = lint_tree(tree)
    assert lint_tree(TreeFiles(services.store, tree.tree_id)) is first  # kept by content
    alice.write(sid, "migrations/0002_note.sql", UNSAFE)
    record = services.workspace(actor="alice").owned_session(sid)
    changed = TreeFiles(services.store, services.sessions.tree(record))
    assert lint_tree(changed).errors == 1
    assert first.errors == 0
