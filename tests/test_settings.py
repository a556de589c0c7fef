"""Settings: flags over environment over the TOML file over defaults; bad input is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from aether_data.errors import Invalid
from aether_data.settings import DEFAULT_LISTEN, Settings


def _config(tmp_path: Path, text: str) -> dict[str, str]:
    folder = tmp_path / "cfg" / "aether"
    folder.mkdir(parents=True)
    (folder / "config.toml").write_text(text)
    return {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}


def test_defaults_without_environment_or_file(tmp_path: Path) -> None:
    settings = Settings.from_env({"XDG_CONFIG_HOME": str(tmp_path), "AETHER_HOME": str(tmp_path)})
    assert settings.catalog_url == f"sqlite:///{tmp_path / 'catalog.db'}"
    assert settings.listen == DEFAULT_LISTEN
    assert settings.server is None
    assert settings.config_dir == tmp_path / "aether"


def test_environment_wins_over_file_and_flags_over_both(tmp_path: Path) -> None:
    env = _config(
        tmp_path, f'home = "{tmp_path}/h"\nlisten = "127.0.0.1:9000"\nmax_json_bytes = 10\n'
    )
    from_file = Settings.from_env(env)
    assert (from_file.home, from_file.listen, from_file.max_json_bytes) == (
        tmp_path / "h",
        "127.0.0.1:9000",
        10,
    )
    from_env = Settings.from_env({**env, "AETHER_LISTEN": "127.0.0.1:9001"})
    assert from_env.listen == "127.0.0.1:9001"
    assert from_env.with_overrides(listen="0.0.0.0:1", server=None).listen == "0.0.0.0:1"
    assert from_env.listen_host_port == ("127.0.0.1", 9001)


def test_config_file_named_by_aether_config(tmp_path: Path) -> None:
    path = tmp_path / "other.toml"
    path.write_text('server = "http://127.0.0.1:1"\n')
    settings = Settings.from_env({"AETHER_CONFIG": str(path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert settings.server == "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("listen = ", "not valid TOML"),
        ('colour = "red"\n', "unknown setting 'colour'"),
        ('max_upload_bytes = "lots"\n', "whole number"),
        ('checks = "lint"\n', "JSON object"),
        ("[checks]\nlint = 3\n", "map each check name to a command"),
        ('[checks]\nlint = " "\n', "map each check name to a command"),
        ('bus_retention_days = "a month"\n', "whole number"),
        ('dataset_memory_limit = "lots"\n', "not a size"),
        ("dataset_memory_limit = 2\n", "not a size"),
    ],
)
def test_bad_config_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        Settings.from_env(_config(tmp_path, text))


@pytest.mark.parametrize("listen", ["nohost", "127.0.0.1:http", ":80"])
def test_bad_listen_address(tmp_path: Path, listen: str) -> None:
    with pytest.raises(Invalid, match="HOST:PORT"):
        _ = Settings.for_home(tmp_path, listen=listen).listen_host_port


def test_checks_actor_and_retention_from_file_and_environment(tmp_path: Path) -> None:
    env = _config(tmp_path, '[checks]\ntests = "pytest -q"\n\n')
    from_file = Settings.from_env(env)
    assert (from_file.checks, from_file.actor, from_file.bus_retention_days) == (
        {"tests": "pytest -q"},
        "local",
        30,
    )
    env |= {"AETHER_CHECKS": '{"lint": "ruff check ."}', "AETHER_ACTOR": "ada"}
    from_env = Settings.from_env(env | {"AETHER_BUS_RETENTION_DAYS": "0"})
    assert (from_env.checks, from_env.actor, from_env.bus_retention_days) == (
        {"lint": "ruff check ."},
        "ada",
        0,
    )


def test_dataset_memory_limit_from_file_and_environment(tmp_path: Path) -> None:
    assert Settings.for_home(tmp_path).dataset_memory_limit == "2GB"
    env = _config(tmp_path, 'dataset_memory_limit = "512MB"\n')
    assert Settings.from_env(env).dataset_memory_limit == "512MB"
    from_env = Settings.from_env(env | {"AETHER_DATASET_MEMORY_LIMIT": "1.5GiB"})
    assert from_env.dataset_memory_limit == "1.5GiB"
    assert Settings.from_env(env | {"AETHER_DATASET_MEMORY_LIMIT": "80%"}).dataset_memory_limit
    with pytest.raises(Invalid, match="dataset_memory_limit"):
        Settings.from_env(env | {"AETHER_DATASET_MEMORY_LIMIT": "-1GB"})
