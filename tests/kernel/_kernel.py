"""A real IPython kernel (jupyter_client) in an environment of its own, and code run in it
with every output it sends collected."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager, start_new_kernel

__all__ = ["Kernel", "Outputs", "kernel_env"]

_TIMEOUT = 120


def kernel_env(home: Path, session: str | None, **extra: str) -> dict[str, str]:
    """The kernel's environment: this one without AETHER_* variables or the user's config
    folder, then AETHER_HOME, AETHER_SESSION and ``extra``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AETHER_") and k != "XDG_CONFIG_HOME"
    }
    env["AETHER_HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home.parent / f"{home.name}-config")
    if session is not None:
        env["AETHER_SESSION"] = session
    env.update(extra)
    return env


@dataclass
class Outputs:
    """What one execution sent: ``stdout``, ``stderr``, rich ``results`` (mime -> data, of
    execute_result and display_data), ``error`` (ename, evalue, traceback) and the reply's
    ``status``."""

    stdout: str = ""
    stderr: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    status: str = ""

    @property
    def text(self) -> str:
        """The plain text of the results."""
        return "\n".join(r.get("text/plain", "") for r in self.results)

    @property
    def html(self) -> str:
        """The HTML of the results."""
        return "\n".join(r.get("text/html", "") for r in self.results)


class Kernel:
    """A started kernel: ``run(code)`` returns its ``Outputs``; ``ok(code)`` also asserts it
    ran without an error."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.manager: KernelManager
        self.manager, self.client = start_new_kernel(
            kernel_name="python3", env=env, cwd=str(cwd), startup_timeout=_TIMEOUT
        )

    def run(self, code: str) -> Outputs:
        out = Outputs()

        def hook(msg: dict[str, Any]) -> None:
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                name = content["name"]
                setattr(out, name, getattr(out, name) + content["text"])
            elif kind in ("execute_result", "display_data"):
                out.results.append(content["data"])
            elif kind == "error":
                out.error = content

        reply = self.client.execute_interactive(code, output_hook=hook, timeout=_TIMEOUT)
        out.status = reply["content"]["status"]
        return out

    def ok(self, code: str) -> Outputs:
        out = self.run(code)
        error = out.error and (out.error["ename"], out.error["evalue"])
        assert out.error is None, (error, out.stderr)
        assert out.status == "ok", out.stderr
        return out

    def value(self, expression: str) -> Any:
        """The value of a Python literal expression evaluated in the kernel (via repr)."""
        import ast  # noqa: PLC0415

        return ast.literal_eval(self.ok(f"print(repr({expression}))").stdout.strip())

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
