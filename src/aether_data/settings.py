"""Settings: the only place (with the CLI) that reads the environment.

Everything else receives a ``Settings`` value. Each setting comes from, in order of
precedence: a command-line flag (the CLI passes overrides), an environment variable, the
TOML config file, the default.

========================  =====================  ==========================================
environment               TOML key               meaning
========================  =====================  ==========================================
``AETHER_HOME``           ``home``               data folder (default ``~/.aether``)
``AETHER_CATALOG_URL``    ``catalog_url``        SQLAlchemy URL (default SQLite in home)
``AETHER_STORE_URL``      ``store_url``          folder, ``file://``, ``s3://b/p``, ``memory://``
``AETHER_S3_ENDPOINT_URL`` ``s3_endpoint_url``   S3-compatible endpoint
``AETHER_S3_REGION``      ``s3_region``          S3 region
``AETHER_LISTEN``         ``listen``             ``HOST:PORT`` of ``aether serve``
``AETHER_SERVER``         ``server``             URL of a server: the CLI works remotely
``AETHER_TOKEN``          ``token``              bearer token for ``server``
``AETHER_MAX_JSON_BYTES`` ``max_json_bytes``     limit of a JSON request body
``AETHER_MAX_UPLOAD_BYTES`` ``max_upload_bytes`` limit of one uploaded file or archive
``AETHER_API_THREADS``    ``api_threads``        worker threads of ``aether serve``'s requests
``AETHER_ACTOR``          ``actor``              who the embedded CLI acts as (``local``)
``AETHER_CHECKS``         ``[checks]`` table     command checks: name = command (env: JSON)
``AETHER_CHECK_TIMEOUT``  ``check_timeout``      seconds a command check may run (600)
``AETHER_BUS_RETENTION_DAYS`` ``bus_retention_days`` ``aether gc`` prunes older bus messages
                                                 (30; 0 keeps them all)
``AETHER_DATASET_MEMORY_LIMIT`` ``dataset_memory_limit`` memory one dataset diff may use before
                                                 its join spills to disk (``2GB``; DuckDB sizes:
                                                 ``500MB``, ``1.5GiB``, ``80%``)
========================  =====================  ==========================================

A command check runs with the session's tree exported into an empty temporary folder as its
working directory; exit status 0 passes it, and its output is the report. Commands come only
from the server's settings, never from a request.

The config file is ``$AETHER_CONFIG``, else ``$XDG_CONFIG_HOME/aether/config.toml``
(``~/.config/aether/config.toml``). Tokens the first ``aether serve`` issues are kept beside it
in ``credentials.toml`` (mode 0600), keyed by server URL.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from aether_data.errors import Invalid

__all__ = ["DEFAULT_LISTEN", "Settings", "config_dir"]

DEFAULT_LISTEN = "127.0.0.1:8470"
_INTS = {
    "max_json_bytes",
    "max_upload_bytes",
    "api_threads",
    "check_timeout",
    "bus_retention_days",
}


# What DuckDB's memory_limit takes: a number and a unit (or a percentage of the machine's RAM).
_MEMORY = re.compile(r"\s*\d+(\.\d+)?\s*(([KMGT]i?)?B|%)\s*", re.IGNORECASE)


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The folder of ``config.toml`` and ``credentials.toml``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "aether"


@dataclass(frozen=True)
class Settings:
    """Where the catalog and the object store live, and how the service and client run."""

    home: Path
    catalog_url: str
    store_url: str
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    listen: str = DEFAULT_LISTEN
    server: str | None = None
    token: str | None = None
    max_json_bytes: int = 16 << 20
    max_upload_bytes: int = 100 << 30
    api_threads: int = 8
    actor: str = "local"
    checks: Mapping[str, str] = field(default_factory=dict, hash=False)
    check_timeout: int = 600
    bus_retention_days: int = 30
    dataset_memory_limit: str = "2GB"
    config_dir: Path | None = None

    @classmethod
    def for_home(cls, home: str | os.PathLike[str], **overrides: Any) -> Settings:
        """Embedded defaults under ``home``: SQLite catalog and local object folder."""
        root = Path(home).expanduser().absolute()
        values: dict[str, Any] = {
            "catalog_url": f"sqlite:///{root / 'catalog.db'}",
            "store_url": str(root / "objects"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(home=root, **values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the environment (``os.environ`` unless given) over the config file."""
        env = os.environ if environ is None else environ
        folder = config_dir(env)
        values = _read_toml(Path(env.get("AETHER_CONFIG") or folder / "config.toml"))
        for name in _names():
            if text := env.get(f"AETHER_{name.upper()}"):
                values[name] = text
        home = values.pop("home", None) or Path.home() / ".aether"
        return cls.for_home(home, config_dir=folder, **_typed(values))

    def __post_init__(self) -> None:
        if not _MEMORY.fullmatch(self.dataset_memory_limit):
            raise Invalid(
                f"setting dataset_memory_limit {self.dataset_memory_limit!r} is not a size "
                "such as 2GB, 500MB, 1.5GiB or 80%"
            )

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given (non-None) settings replaced, as command-line flags do."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @property
    def listen_host_port(self) -> tuple[str, int]:
        """``listen`` split into host and port."""
        host, sep, port = self.listen.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise Invalid(f"listen address {self.listen!r} must be HOST:PORT")
        return host.strip("[]"), int(port)


def _names() -> list[str]:
    return [f.name for f in fields(Settings) if f.name != "config_dir"]


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise Invalid(f"config file {path} is not valid TOML: {exc}") from exc
    if unknown := sorted(set(data) - set(_names())):
        raise Invalid(f"config file {path}: unknown setting {unknown[0]!r}")
    return dict(data)


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    def typed(name: str, value: Any) -> Any:
        if name == "checks":
            return _checks(value)
        return _int(name, value) if name in _INTS else str(value)

    return {name: typed(name, v) for name, v in values.items()}


def _checks(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise Invalid(f"setting checks must be a JSON object of name: command ({exc})") from exc
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise Invalid("setting checks must map each check name to a command (text)")
    return dict(value)


def _int(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Invalid(f"setting {name} must be a whole number") from None
