"""A real server on loopback for tests and benchmarks: uvicorn serving ``create_app`` in a
background thread (fast, shares the test's process) or in a subprocess (its memory can be
measured on its own).

    with start_thread_server(Settings.for_home(tmp_path)) as server:
        httpx.get(server.url + "/v1/whoami", headers={"Authorization": f"Bearer {server.token}"})

Run as a script (``python tests/_live.py SETTINGS_JSON PORT``) it is the subprocess server.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from aether_data.api import create_app
from aether_data.service import Services, open_services
from aether_data.settings import Settings

__all__ = ["LiveServer", "free_port", "start_process_server", "start_thread_server"]

_START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _uvicorn_config(app: Any, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        # Open event streams never end on their own: cut them soon when stopping.
        timeout_graceful_shutdown=1,
    )


class LiveServer:
    """A running server: ``url``, an admin ``token`` of tenant ``default``, ``issue()`` for
    more tokens, and ``stop()`` (also on leaving a ``with`` block)."""

    def __init__(self, settings: Settings, port: int, services: Services) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{port}"
        self.services = services
        self.token = ""
        self.pid: int | None = None

    def issue(self, scopes: Iterable[str], tenant: str = "default") -> str:
        """The secret of a new token of ``tenant`` with ``scopes``."""
        return self.services.tokens.issue("test", list(scopes), tenant=tenant)[1]

    def headers(self, secret: str | None = None) -> dict[str, str]:
        """``Authorization`` for ``secret`` (the admin token by default)."""
        return {"Authorization": f"Bearer {secret or self.token}"}

    def _wait_ready(self, alive: Any) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if not alive():
                raise RuntimeError("the server stopped while starting")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    self.token = self.issue(["admin"])
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"the server at {self.url} did not answer /health")

    def stop(self) -> None:
        """Stop the server and release what it holds."""
        self.services.close()

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _ThreadServer(LiveServer):
    def __init__(self, settings: Settings, port: int) -> None:
        super().__init__(settings, port, open_services(settings))
        app = create_app(settings, services=self.services)
        self._server = uvicorn.Server(_uvicorn_config(app, port))
        self._thread = threading.Thread(target=self._server.run, name="live-server", daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        self._wait_ready(self._thread.is_alive)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        super().stop()


class _ProcessServer(LiveServer):
    def __init__(self, settings: Settings, port: int) -> None:
        super().__init__(settings, port, open_services(settings))
        fields = {k: str(v) for k, v in dataclasses.asdict(settings).items() if v is not None}
        command = [sys.executable, __file__, json.dumps(fields), str(port)]
        self._process = subprocess.Popen(command)
        self.pid = self._process.pid

    def start(self) -> LiveServer:
        try:
            self._wait_ready(lambda: self._process.poll() is None)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        super().stop()


def start_thread_server(settings: Settings, port: int | None = None) -> LiveServer:
    """Serve ``settings`` from a thread of this process (on ``port``, else a free one);
    returns once /health answers."""
    return _ThreadServer(settings, port or free_port()).start()


def start_process_server(settings: Settings) -> LiveServer:
    """Serve ``settings`` from a child process (``.pid``); returns once /health answers."""
    return _ProcessServer(settings, free_port()).start()


def _settings_from(text: str) -> Settings:
    values: dict[str, Any] = json.loads(text)
    kinds = {f.name: f.type for f in dataclasses.fields(Settings)}
    for name, value in list(values.items()):
        if "int" in str(kinds[name]):
            values[name] = int(value)
        elif "Path" in str(kinds[name]):
            values[name] = Path(value)
    return Settings(**values)


if __name__ == "__main__":
    uvicorn.Server(_uvicorn_config(create_app(_settings_from(sys.argv[1])), int(sys.argv[2]))).run()
