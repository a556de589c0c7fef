"""``aether token`` on this machine's catalog, and the credentials file."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from _cli import run

from aether_data.cli._credentials import load_token, save_token
from aether_data.errors import Invalid, Unauthorized
from aether_data.service import ALL_SCOPES, open_services
from aether_data.settings import Settings


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _verify(home: Path, secret: str):
    with open_services(Settings.for_home(home)) as services:
        return services.tokens.verify(secret)


def test_create_ls_revoke(home: Path) -> None:
    made = json.loads(
        run(home, "token", "create", "ci", "--scope", "session.read", "--json").stdout
    )
    assert made["secret"].startswith(f"aet_{made['id']}_")
    assert made["scopes"] == ["session.read"]
    assert made["tenant"] == "default"
    assert made["expires_at"] is None
    assert _verify(home, made["secret"]).scopes == ("session.read",)

    text = run(home, "token", "create", "reader", "--read-only", "--tenant", "t2")
    secret = text.stdout.strip()
    assert "shown this once" in text.stderr
    assert secret not in text.stderr
    assert _verify(home, secret).tenant == "t2"

    listed = json.loads(run(home, "token", "ls", "--json").stdout)
    assert {t["name"]: t["scopes"] for t in listed} == {
        "ci": ["session.read"],
        "reader": ["session.read", "source.read"],
    }
    assert all("secret" not in t for t in listed)
    only = json.loads(run(home, "token", "ls", "--tenant", "t2", "--json").stdout)
    assert [t["name"] for t in only] == ["reader"]

    assert run(home, "token", "revoke", made["id"]).stdout.strip() == f"revoked {made['id']}"
    with pytest.raises(Unauthorized):
        _verify(home, made["secret"])
    assert "revoked" in run(home, "token", "ls").stdout


def test_admin_and_expiry(home: Path) -> None:
    made = json.loads(
        run(home, "token", "create", "ops", "--admin", "--expires-in", "30d", "--json").stdout
    )
    assert set(made["scopes"]) == {s.value for s in ALL_SCOPES}
    lifetime = datetime.fromisoformat(made["expires_at"]) - datetime.fromisoformat(
        made["created_at"]
    )
    assert lifetime == timedelta(days=30)
    assert "all scopes" in run(home, "token", "ls").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "create", "x"], "--scope"),
        (["token", "create", "x", "--read-only", "--expires-in", "soon"], "not a duration"),
        (["token", "create", "x", "--read-only", "--expires-in", "0"], "positive"),
        (["token", "create", "x", "--scope", "everything"], "everything"),
    ],
)
def test_bad_token_requests_exit_2(home: Path, args: list[str], message: str) -> None:
    assert message in run(home, *args, check=2).stderr


def test_revoking_an_unknown_token_exits_3(home: Path) -> None:
    assert "0123456789abcdef" in run(home, "token", "revoke", "0123456789abcdef", check=3).stderr


def test_credentials_file_is_private_and_keeps_other_servers(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "aether"
    path = save_token(folder, "http://a:1/", "aet_one")
    save_token(folder, "http://b:2", "aet_two")
    save_token(folder, "http://a:1", "aet_three")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert load_token(folder, "http://a:1") == "aet_three"
    assert load_token(folder, "http://b:2/") == "aet_two"
    assert load_token(folder, "http://c:3") is None
    assert [p.name for p in folder.iterdir()] == ["credentials.toml"]  # no temp file left
    path.write_text("servers = [")
    with pytest.raises(Invalid, match="credentials"):
        load_token(folder, "http://a:1")
