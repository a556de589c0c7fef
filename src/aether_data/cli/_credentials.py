"""``credentials.toml``: tokens by server URL, beside the config file, readable by its owner only.

[servers."http://127.0.0.1:8470"]
token = "aet_..."
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from aether_data.errors import Invalid

__all__ = ["FILE_NAME", "load_token", "save_token", "server_key"]

FILE_NAME = "credentials.toml"
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_HEADER = "# Aether Data tokens by server URL. Keep this file private (mode 0600).\n"


def server_key(url: str) -> str:
    """The form a server URL is filed under (no trailing slash)."""
    return url.rstrip("/")


def load_token(folder: Path, server: str) -> str | None:
    """The token saved for ``server`` in ``folder/credentials.toml``, if any."""
    entry = _servers(folder / FILE_NAME).get(server_key(server), {})
    token = entry.get("token") if isinstance(entry, dict) else None
    return token if isinstance(token, str) and token else None


def save_token(folder: Path, server: str, token: str) -> Path:
    """File ``token`` under ``server`` (keeping the other servers' entries); return the path.

    The folder is created 0700, the file written 0600 through a temporary file and a rename,
    so no reader ever sees a half-written file or a moment of wider permissions.
    """
    path = folder / FILE_NAME
    servers = _servers(path)
    servers[server_key(server)] = {**servers.get(server_key(server), {}), "token": token}
    _make_private_folder(folder)
    _write_private(path, _render(servers))
    return path


def _servers(path: Path) -> dict[str, dict[str, Any]]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise Invalid(f"credentials file {path} is not valid TOML: {exc}") from exc
    servers = data.get("servers", {})
    if not isinstance(servers, dict):
        raise Invalid(f"credentials file {path}: 'servers' must be a table of server URLs")
    return {k: v for k, v in servers.items() if isinstance(v, dict)}


def _render(servers: dict[str, dict[str, Any]]) -> str:
    # JSON string and number syntax is valid TOML for the plain values kept here.
    blocks = [
        f"[servers.{json.dumps(url)}]\n"
        + "".join(f"{_key(k)} = {json.dumps(v)}\n" for k, v in entry.items())
        for url, entry in sorted(servers.items())
    ]
    return _HEADER + "\n" + "\n".join(blocks)


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name)


def _make_private_folder(folder: Path) -> None:
    if folder.is_dir():
        return
    folder.mkdir(mode=0o700, parents=True)
    folder.chmod(0o700)  # whatever the umask


def _write_private(path: Path, text: str) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
