"""``aether serve``: a real server process, its first-start admin token, loopback by default."""

from __future__ import annotations

import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from _cli import AETHER, config_home, isolated_env, run

from _live import free_port
from aether_data.cli._credentials import load_token

_START_TIMEOUT = 60.0


@contextmanager
def _serving(home: Path, port: int, log: Path) -> Iterator[str]:
    """``aether serve`` on 127.0.0.1:port until the block ends; yields its URL."""
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as err:
        proc = subprocess.Popen(
            [AETHER, "serve", "--listen", f"127.0.0.1:{port}"],
            env=isolated_env(home),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        try:
            _wait_healthy(proc, url, log)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_healthy(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"aether serve stopped: {log.read_text()}"
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"aether serve did not answer /health: {log.read_text()}")


def test_first_start_saves_a_private_admin_token(tmp_path: Path) -> None:
    home, port, log = tmp_path / "home", free_port(), tmp_path / "serve.log"
    folder = config_home(home) / "aether"
    with _serving(home, port, log) as url:
        token = load_token(folder, url)
        assert token is not None
        path = folder / "credentials.toml"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        who = httpx.get(url + "/v1/whoami", headers={"Authorization": f"Bearer {token}"})
        assert who.status_code == 200, who.text
        assert who.json()["tenant"] == "default"
        assert "admin" in who.json()["scopes"]
        # the CLI finds the saved token by the server's URL
        assert run(home, "--server", url, "session", "ls").returncode == 0
    said = log.read_text()
    assert str(path) in said
    assert token not in said

    with _serving(home, port, tmp_path / "again.log"):
        pass  # a second start issues nothing: the catalog already holds a token
    assert load_token(folder, f"http://127.0.0.1:{port}") == token
    assert "first start" not in (tmp_path / "again.log").read_text()
    assert len(run(home, "token", "ls").stdout.splitlines()) == 1


@pytest.mark.parametrize("listen", ["0.0.0.0:8470", "192.0.2.1:8470", "example.org:8470"])
def test_non_loopback_needs_public(tmp_path: Path, listen: str) -> None:
    proc = run(tmp_path / "home", "serve", "--listen", listen, check=2)
    assert "--public" in proc.stderr
    assert not (config_home(tmp_path / "home") / "aether").exists()


def test_bad_listen_address_exits_2(tmp_path: Path) -> None:
    assert "HOST:PORT" in run(tmp_path / "home", "serve", "--listen", "nowhere", check=2).stderr
