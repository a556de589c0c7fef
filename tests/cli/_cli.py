"""Running ``aether`` against a given AETHER_HOME, in an environment of its own: no AETHER_*
variable and no config folder of the user leaks in.

``run`` invokes the command line in this process (click's runner, ``prog_name`` aether), with
that environment in ``os.environ`` while it runs: the verbs and their output are the same as
the executable's, without a Python start-up and the package's imports per call (hundreds of
calls in this suite). ``run_executable`` runs the real ``aether`` console script in a
subprocess, for what only a process shows (the entry point, signals, standard input, a
command that replaces the process); ``AETHER`` is its path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from aether_data.cli import cli

AETHER = shutil.which("aether") or str(Path(sys.executable).with_name("aether"))


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a run: AETHER_HOME is ``home``, the config folder sits beside it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AETHER_") and k != "XDG_CONFIG_HOME"
    }
    env["AETHER_HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(config_home(home))
    env.update(extra)
    return env


def config_home(home: Path) -> Path:
    """The XDG_CONFIG_HOME of runs against ``home`` (``aether`` keeps its files in
    ``<it>/aether``)."""
    return home.parent / f"{home.name}-config"


def run(
    home: Path,
    *args: str,
    check: int | None = 0,
    stdin: str | bytes | None = None,
    text: bool = True,
    **env: str,
) -> subprocess.CompletedProcess[Any]:
    """``aether ARGS`` in this process, reading ``stdin``; its exit status, standard output and
    standard error as a subprocess would give them (``str``, or ``bytes`` unless ``text``). An
    unexpected exception ends it with status 1 and its traceback on standard error, as the
    executable does."""
    isolated = isolated_env(home, **env)
    # The runner sets these variables for the call (None: unset) and restores them after.
    changes: dict[str, str | None] = {k: None for k in os.environ if k not in isolated}
    changes.update(isolated)
    result = CliRunner().invoke(cli, list(args), stdin, env=changes, prog_name="aether")
    stdout, stderr = result.stdout_bytes, result.stderr_bytes
    if result.exc_info is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info)).encode()
    if text:
        stdout, stderr = result.stdout, stderr.decode(errors="replace")
    proc = subprocess.CompletedProcess([AETHER, *args], result.exit_code, stdout, stderr)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def run_executable(
    home: Path, *args: str, check: int | None = 0, **env: str
) -> subprocess.CompletedProcess[str]:
    """``aether ARGS`` through the real executable, in a subprocess."""
    proc = subprocess.run(
        [AETHER, *args],
        check=False,
        capture_output=True,
        text=True,
        env=isolated_env(home, **env),
        timeout=120,
    )
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc
