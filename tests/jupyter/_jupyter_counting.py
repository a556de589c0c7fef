"""A WorkspaceAPI wrapper that counts calls (a module of its own: conftest names clash)."""

from __future__ import annotations

from typing import Any

__all__ = ["Counting"]


class Counting:
    """A ``WorkspaceAPI`` wrapper that counts the calls made through it, by method."""

    def __init__(self, api: Any) -> None:
        self.api = api
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.api, name)
        if not callable(target):
            return target

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return target(*args, **kwargs)

        return counted

    def reset(self) -> None:
        self.calls.clear()
