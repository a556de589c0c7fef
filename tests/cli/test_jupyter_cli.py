"""``aether jupyter SESSION``: a real Jupyter process configured for the session.

The contents manager itself is tested with ``aether_jupyter``. For the plain server a stand-in
package of the same name (first on PYTHONPATH) records the configuration it receives, so that
test shows what the command hands to Jupyter, whatever state the real manager is in; the
JupyterLab test runs the real manager end to end."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from _cli import AETHER, isolated_env, run
from click.testing import CliRunner

from _live import free_port
from aether_data.cli import cli
from aether_data.cli import jupyter as jupyter_cli
from aether_data.service import open_services
from aether_data.settings import Settings

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


StartJupyter = Callable[..., tuple[subprocess.Popen, str]]


@pytest.fixture
def start_jupyter(tmp_path: Path) -> Iterator[StartJupyter]:
    """``start_jupyter(home, session_id, "--lab" or "--server", **env)``: the real ``aether
    jupyter`` on a free loopback port (a token, no browser, Jupyter's folders in tmp_path),
    answered with the process and its URL once it serves. Stopped at teardown, always."""
    started: list[subprocess.Popen] = []

    def start(home: Path, session_id: str, mode: str, **extra: str) -> tuple[subprocess.Popen, str]:
        port, log = free_port(), tmp_path / f"jupyter-{len(started)}.log"
        env = isolated_env(
            home,
            JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
            JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"),
            JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
            **extra,
        )
        args = [AETHER, "jupyter", session_id, mode, "--port", str(port), "--no-browser"]
        args += [f"--IdentityProvider.token={_TOKEN}", f"--ServerApp.root_dir={tmp_path}"]
        args.append("--ServerApp.allow_root=True")  # test machines may run as root
        with log.open("w") as out:
            started.append(subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT))
        url = f"http://127.0.0.1:{port}"
        assert "started" in _wait_status(started[-1], url, log)
        return started[-1], url

    yield start
    for proc in started:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> int:
    """Terminate (SIGTERM) and wait; killed when it does not stop in time."""
    proc.terminate()
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise


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
def test_a_jupyter_server_runs_on_the_session(
    session: tuple[Path, str], tmp_path: Path, start_jupyter: StartJupyter
) -> None:
    home, session_id = session
    stand_in = tmp_path / "stand_in" / "aether_jupyter"
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text(textwrap.dedent(_STAND_IN))
    report = tmp_path / "report.json"
    proc, url = start_jupyter(
        home,
        session_id,
        "--server",
        PYTHONPATH=str(stand_in.parent),
        STAND_IN_REPORT=str(report),
    )
    specs = httpx.get(f"{url}/api/kernelspecs", params={"token": _TOKEN}).json()
    # the process is the Jupyter server itself (exec), configured with the manager
    cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
    _stop(proc)
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


@pytest.mark.slow
def test_jupyterlab_runs_on_the_session(
    session: tuple[Path, str], start_jupyter: StartJupyter
) -> None:
    """The lab page, and the real contents manager under it: a file of the session with its
    SHA-256, a notebook saved into the session, and the lab workspace kept under AETHER_HOME."""
    if os.environ.get("CI") != "true":  # in CI a missing JupyterLab fails below
        pytest.importorskip("jupyterlab", reason="run: pip install 'aether-data[dev]'")
    nbformat = pytest.importorskip("nbformat")
    home, session_id = session
    proc, url = start_jupyter(home, session_id, "--lab")
    auth = {"Authorization": f"token {_TOKEN}"}
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("con.sql('select 1')")])
    with httpx.Client(base_url=url, headers=auth, timeout=30) as jupyter:
        lab = jupyter.get("/lab")
        readme = jupyter.get("/api/contents/README.md", params={"hash": 1}).json()
        saved = jupyter.put(
            "/api/contents/notebooks/lab.ipynb",
            json={"type": "notebook", "format": "json", "content": notebook},
        )
        again = jupyter.get("/api/contents/notebooks/lab.ipynb", params={"hash": 1}).json()
        info = jupyter.get("/aether/api/session")  # the server extension is loaded
        layout = {"data": {}, "metadata": {"id": "aether-test"}}
        kept = jupyter.put("/lab/api/workspaces/aether-test", json=layout)
    cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
    assert _stop(proc) == 0  # a clean exit on SIGTERM

    assert b"jupyterlab" in cmdline
    assert lab.status_code == 200
    assert "<title>JupyterLab</title>" in lab.text
    assert (info.status_code, info.json()["id"]) == (200, session_id)
    assert saved.status_code == 201, saved.text
    assert kept.status_code == 204, kept.text
    with open_services(Settings.for_home(home)) as services:
        api = services.workspace()
        readme_bytes = api.read(session_id, "README.md")
        stored = api.read(session_id, "notebooks/lab.ipynb")
        stored_id = api.stat(session_id, "notebooks/lab.ipynb").id
    assert readme["content"] == readme_bytes.decode()
    assert (readme["hash"], readme["hash_algorithm"]) == (
        hashlib.sha256(readme_bytes).hexdigest(),
        "sha256",
    )
    assert nbformat.reads(stored.decode(), as_version=4).cells[0].source == "con.sql('select 1')"
    assert again["hash"] == stored_id == hashlib.sha256(stored).hexdigest()
    workspaces = home / "jupyter" / "lab" / "workspaces" / session_id
    (kept_file,) = workspaces.glob("aether-test-*.jupyterlab-workspace")
    assert json.loads(kept_file.read_text())["metadata"]["id"] == "aether-test"


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
