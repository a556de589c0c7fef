"""``aether jupyter SESSION``: JupyterLab (or a plain Jupyter server) working on a session.

Notebooks and files are read and written in the session by ``aether_jupyter``'s contents
manager, and every kernel the server starts is bound to the session by the
``aether_data.kernel`` extension (see its docstring for how: the environment and a
``python3`` kernelspec in ``<AETHER_HOME>/jupyter``). JupyterLab keeps each session's layout
(its workspaces: the open files) in ``<AETHER_HOME>/jupyter/lab/workspaces/<session>``, so a
session opens as it was left. The Jupyter process replaces this one, so stopping it (Ctrl-C, a
signal) stops the server.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import click

from aether_data.cli._app import cli
from aether_data.cli._connect import connect, server_token
from aether_data.errors import Invalid, MissingExtra
from aether_data.settings import Settings

__all__ = ["jupyter_command", "jupyter_launch"]

CONTENTS_MANAGER = "aether_jupyter.AetherContentsManager"
EXTENSION = "aether_jupyter"
KERNEL_EXTENSION = "aether_data.kernel"


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@cli.command("jupyter", context_settings={"ignore_unknown_options": True})
@click.argument("session")
@click.option(
    "--lab/--server",
    "lab",
    default=None,
    help="JupyterLab, or a plain Jupyter server [default: JupyterLab when installed].",
)
@click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (no retries).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.argument("jupyter_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def jupyter_command(
    settings: Settings,
    session: str,
    lab: bool | None,
    port: int | None,
    no_browser: bool,
    jupyter_args: tuple[str, ...],
) -> None:
    """Start JupyterLab (or jupyter server) on SESSION.

    Notebooks open from and save to the session; kernels get `session`, `con` (DuckDB views
    of the session's datasets) and the %aether magics. Arguments after SESSION that this
    command does not know go to Jupyter (such as --IdentityProvider.token=...). Needs the
    `jupyter` extra: pip install 'aether-data[jupyter]'.
    """
    argv, env = jupyter_launch(settings, session, lab=lab, port=port, no_browser=no_browser)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [*argv, *jupyter_args], env)


def jupyter_launch(
    settings: Settings,
    session: str,
    *,
    lab: bool | None = None,
    port: int | None = None,
    no_browser: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """The command line (``argv[0]`` is this Python) and environment of the Jupyter process;
    writes the kernelspec. ``MissingExtra`` when Jupyter is missing, ``Invalid`` when
    JupyterLab is asked for but missing, ``NotFound`` for an unknown session."""
    app = _application(lab)
    with connect(settings) as conn:
        session = conn.api.get_session(session).id
    jupyter_dir = _write_kernelspec(settings.home / "jupyter")
    argv = [sys.executable, "-m", app, *_traitlets(settings, session, port, no_browser)]
    env = _environment(settings, session, jupyter_dir)
    if app == "jupyterlab":
        # A workspace names files of one session, so each session has its own (unless the
        # user chose a folder). User settings stay the person's, in Jupyter's config dir.
        workspaces = jupyter_dir / "lab" / "workspaces" / session
        env.setdefault("JUPYTERLAB_WORKSPACES_DIR", str(workspaces))
    return argv, env


def _application(lab: bool | None) -> str:
    if not _installed("jupyter_server"):
        raise MissingExtra("jupyter_server", "jupyter", "aether jupyter")  # exit 7
    has_lab = _installed("jupyterlab")
    if lab and not has_lab:
        raise Invalid("JupyterLab is not installed: pip install jupyterlab, or pass --server")
    return "jupyterlab" if has_lab and lab is not False else "jupyter_server"


def _traitlets(settings: Settings, session: str, port: int | None, no_browser: bool) -> list[str]:
    args = [
        f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}",
        # the server extension: /files/ from the session, and /aether/api/...
        f"--ServerApp.jpserver_extensions={EXTENSION}=True",
        f"--AetherContentsManager.session={session}",
        f"--AetherContentsManager.home={settings.home}",
    ]
    if settings.server:
        args.append(f"--AetherContentsManager.server_url={settings.server}")
    if port is not None:
        args += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]
    if no_browser:
        args.append("--ServerApp.open_browser=False")
    return args


def _environment(settings: Settings, session: str, jupyter_dir: Path) -> dict[str, str]:
    """The server's environment, which its kernels inherit. The token travels here rather
    than on the command line, where any user of the machine could read it."""
    env = dict(os.environ)
    env["AETHER_SESSION"] = session
    env["AETHER_HOME"] = str(settings.home)
    if settings.server:
        env["AETHER_SERVER"] = settings.server
        if token := server_token(settings):
            env["AETHER_TOKEN"] = token
    paths = [str(jupyter_dir), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
    env["JUPYTER_PATH"] = os.pathsep.join(paths)
    return env


def _write_kernelspec(jupyter_dir: Path) -> Path:
    """A ``python3`` kernelspec that loads the kernel extension at start; the session comes
    from the environment, so one spec serves every session."""
    folder = jupyter_dir / "kernels" / "python3"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            f"--ext={KERNEL_EXTENSION}",
        ],
        "display_name": "Python 3 (Aether session)",
        "language": "python",
        "metadata": {"debugger": True},
    }
    staging = folder / ".kernel.json.tmp"
    staging.write_text(json.dumps(spec, indent=1) + "\n")
    os.replace(staging, folder / "kernel.json")
    return jupyter_dir
