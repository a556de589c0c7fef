"""``aether jupyter SESSION``: a real Jupyter server process configured for the session.

The contents manager itself is tested with ``aether_jupyter``; here a stand-in package of the
same name (first on PYTHONPATH) records the configuration it receives, so these tests show
what the command hands to Jupyter, whatever state the real manager is in."""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from _cli import AETHER, isolated_env, run
from click.testing import CliRunner

from _live import free_port
from aether_data.cli import cli
from aether_data.cli import jupyter as jupyter_cli

_START_TIMEOUT = 60.0
_TOKEN = "test-jupyter-token"

_STAND_IN = '''
"""Stand-in for the real package: records the traitlets it is configured with."""
import json
import os
from pathlib import Path

from jupyter_server.services.contents.largefilemanager import LargeFileManager
from traitlets import Unicode


class AetherContentsManager(LargeFileManager):
    session = Unicode("", config=True)
    server_url = Unicode("", config=True)
    token = Unicode("", config=True)
    home = Unicode("", config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        names = ("session", "server_url", "token", "home")
        seen = {name: getattr(self, name) for name in names}
        seen["env_session"] = os.environ.get("AETHER_SESSION")
        Path(os.environ["STAND_IN_REPORT"]).write_text(json.dumps(seen))
'''


@pytest.fixture
def session(tmp_path: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    made = run(home, "session", "create", "--template", "starter", "--json")
    return home, json.loads(made.stdout)["id"]


def _wait_status(proc: subprocess.Popen, url: str, log: Path) -> dict:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter stopped with {proc.returncode}:\n{log.read_text()}")
        try:
            answer = httpx.get(f"{url}/api/status", params={"token": _TOKEN}, timeout=2)
            if answer.status_code == 200:
                return answer.json()
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"jupyter did not answer in {_START_TIMEOUT}s:\n{log.read_text()}")


@pytest.mark.slow
def test_a_jupyter_server_runs_on_the_session(session: tuple[Path, str], tmp_path: Path) -> None:
    home, session_id = session
    stand_in = tmp_path / "stand_in" / "aether_jupyter"
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text(textwrap.dedent(_STAND_IN))
    report, log = tmp_path / "report.json", tmp_path / "jupyter.log"
    port = free_port()
    env = isolated_env(
        home,
        PYTHONPATH=str(stand_in.parent),
        STAND_IN_REPORT=str(report),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
    )
    args = [AETHER, "jupyter", session_id, "--server", "--port", str(port), "--no-browser"]
    args += [f"--IdentityProvider.token={_TOKEN}", f"--ServerApp.root_dir={tmp_path}"]
    args.append("--ServerApp.allow_root=True")  # test machines may run as root
    with log.open("w") as err:
        proc = subprocess.Popen(args, env=env, stdout=err, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            assert "started" in _wait_status(proc, url, log)
            specs = httpx.get(f"{url}/api/kernelspecs", params={"token": _TOKEN}).json()
            # the process is the Jupyter server itself (exec), configured with the manager
            cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert b"--ServerApp.contents_manager_class=aether_jupyter.AetherContentsManager" in cmdline
    assert not any(_TOKEN.encode() in a for a in cmdline if b"AetherContentsManager" in a)
    assert json.loads(report.read_text()) == {
        "session": session_id,
        "server_url": "",
        "token": "",
        "home": str(home),
        "env_session": session_id,
    }
    python3 = specs["kernelspecs"]["python3"]["spec"]
    assert specs["default"] == "python3"
    assert "--ext=aether_data.kernel" in python3["argv"]
    assert python3["display_name"] == "Python 3 (Aether session)"


def test_launch_names_the_workspace_of_a_server(tmp_path: Path, live_server) -> None:
    """Against a server, the manager gets its URL; the token only travels in the
    environment (a command line is readable by every user of the machine)."""
    from aether_data.client import AetherClient  # noqa: PLC0415
    from aether_data.settings import Settings  # noqa: PLC0415

    with AetherClient(live_server.url, live_server.token) as client:
        made = client.create_session(template="starter")
    settings = Settings.for_home(tmp_path / "h", server=live_server.url, token=live_server.token)
    argv, env = jupyter_cli.jupyter_launch(settings, made.id, lab=False, port=8123)
    assert argv[1:3] == ["-m", "jupyter_server"]
    assert f"--AetherContentsManager.server_url={live_server.url}" in argv
    assert "--ServerApp.port=8123" in argv
    assert not any(live_server.token in a for a in argv)
    assert env["AETHER_TOKEN"] == live_server.token
    assert env["AETHER_SERVER"] == live_server.url
    assert env["AETHER_SESSION"] == made.id
    assert env["JUPYTER_PATH"].split(":")[0] == str(tmp_path / "h" / "jupyter")


def test_without_jupyter_server_it_refuses_naming_the_extra(
    session: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, session_id = session
    monkeypatch.setattr(jupyter_cli, "_installed", lambda module: False)
    result = CliRunner().invoke(cli, ["--home", str(home), "jupyter", session_id])
    assert result.exit_code == 7  # a missing extra, as for every verb
    assert "aether-data[jupyter]" in result.output
    assert "jupyter_server" in result.output


def test_lab_is_refused_when_jupyterlab_is_missing(
    session: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home, session_id = session
    monkeypatch.setattr(jupyter_cli, "_installed", lambda module: module == "jupyter_server")
    result = CliRunner().invoke(cli, ["--home", str(home), "jupyter", session_id, "--lab"])
    assert result.exit_code == 2
    assert "JupyterLab is not installed" in result.output


def test_an_unknown_session_is_refused_before_jupyter_starts(session: tuple[Path, str]) -> None:
    home, _ = session
    proc = run(home, "jupyter", "s-0000000000000000", "--server", check=3)
    assert "no session" in proc.stderr
