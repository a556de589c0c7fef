"""The conformance suite calls every method of the ``WorkspaceAPI`` protocol."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from aether_data.wire import WorkspaceAPI

HERE = Path(__file__).parent


def test_every_protocol_method_is_exercised() -> None:
    methods = {
        name
        for name, value in vars(WorkspaceAPI).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }
    source = "\n".join(p.read_text() for p in HERE.glob("test_conformance_*.py"))
    called = set(re.findall(r"\bapi\.(\w+)\(", source))
    assert methods - called == set()
