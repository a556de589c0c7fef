"""Running the real ``aether`` executable in a subprocess against a given AETHER_HOME, in an
environment of its own: no AETHER_* variable and no config folder of the user leaks in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

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
    home: Path, *args: str, check: int | None = 0, **env: str
) -> subprocess.CompletedProcess[str]:
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
