"""Running the real ``aether`` executable in a subprocess against a given AETHER_HOME."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

AETHER = shutil.which("aether") or str(Path(sys.executable).with_name("aether"))


def run(home: Path, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AETHER_")}
    env["AETHER_HOME"] = str(home)
    proc = subprocess.run(
        [AETHER, *args], check=False, capture_output=True, text=True, env=env, timeout=120
    )
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc
