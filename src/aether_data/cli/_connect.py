"""The workspace a verb works on: the embedded one over the local data folder, or an Aether
server through the HTTP client. Both are one ``WorkspaceAPI``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aether_data.cli._credentials import load_token
from aether_data.service import Services, open_services
from aether_data.settings import Settings, config_dir
from aether_data.wire import Page, WorkspaceAPI

if TYPE_CHECKING:
    from aether_data.client import AetherClient

__all__ = ["Connection", "connect", "every", "first", "server_token"]

T = TypeVar("T")
_MAX_PAGE = 1000


@dataclass(frozen=True)
class Connection:
    """A verb's view of the workspace.

    ``services`` is set only in embedded mode (the data is on this machine), for the few
    verbs with a faster local path; ``client`` only in remote mode.
    """

    api: WorkspaceAPI
    services: Services | None = None
    client: AetherClient | None = None


def server_token(settings: Settings) -> str | None:
    """The token for ``settings.server``: the flag or environment, else credentials.toml."""
    if settings.token:
        return settings.token
    folder = settings.config_dir or config_dir()
    return load_token(folder, settings.server) if settings.server else None


@contextmanager
def connect(settings: Settings) -> Iterator[Connection]:
    """Open the embedded workspace, or a client of ``settings.server``; close it at the end."""
    if not settings.server:
        with open_services(settings) as services:
            yield Connection(services.workspace(actor=settings.actor), services=services)
        return
    from aether_data.client import AetherClient  # noqa: PLC0415 - httpx, only when remote

    with AetherClient(settings.server, server_token(settings)) as client:
        yield Connection(client, client=client)


def every(list_page: Callable[..., Page[T]], /, *args: Any, **filters: Any) -> list[T]:
    """Every item of a paged listing, following the cursors."""
    items: list[T] = []
    cursor = None
    while True:
        page = list_page(*args, cursor=cursor, **filters)
        items += page.items
        if (cursor := page.next_cursor) is None:
            return items


def first(list_page: Callable[..., Page[T]], count: int, /, *args: Any, **filters: Any) -> list[T]:
    """At most ``count`` items of a paged listing, from the start."""
    items: list[T] = []
    cursor = None
    while len(items) < count:
        limit = min(count - len(items), _MAX_PAGE)
        page = list_page(*args, cursor=cursor, limit=limit, **filters)
        items += page.items
        if (cursor := page.next_cursor) is None:
            break
    return items[:count]
