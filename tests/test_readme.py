"""README's main command keeps working (the install part is CI's job; the rest runs here)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _command(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"<!-- {marker} -->\s*```sh\n(.+?)\n```", text, re.S)
    assert match, f"README.md has no fenced command after <!-- {marker} -->"
    return match.group(1).strip()


def test_main_command_runs_on_the_embedded_default(tmp_path: Path) -> None:
    steps = [s.strip() for s in _command("ci:main-command").split("&&")]
    assert steps[:3] == ["python3 -m venv .venv", ". .venv/bin/activate", "pip install -e ."]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AETHER_")}
    env["AETHER_HOME"] = str(tmp_path / "home")
    proc = subprocess.run(
        " && ".join(steps[3:]),
        shell=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "status: ACTIVE" in proc.stdout
    assert "orders.parquet" in proc.stdout
    assert (tmp_path / "home" / "catalog.db").exists()


def test_ci_runs_the_readme_test_command() -> None:
    command = _command("ci:test-command")
    assert "pytest" in command
    assert "ci:test-command" in (ROOT / ".ci" / "run").read_text()
