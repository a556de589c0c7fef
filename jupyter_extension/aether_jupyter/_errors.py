"""Errors at the Jupyter edge: the workspace's error families become ``tornado.web.HTTPError``.

What a ``Conflict`` means depends on the operation (a taken name is 409, a folder that is not
empty is 400 for Jupyter's delete), so a call can name the status it wants.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tornado.web import HTTPError

from aether_data.errors import AetherError, Conflict, PreconditionFailed
from aether_data.wire import status_of

__all__ = ["http_error", "translated", "web_error"]


def http_error(exc: AetherError, path: str, *, conflict: int = 409) -> HTTPError:
    """The ``HTTPError`` that ``exc`` stands for on ``path``: the wire's status of its family,
    except that a stale hash is Jupyter's 409 and a ``Conflict`` the status the call names."""
    if isinstance(exc, PreconditionFailed):
        status = 409
    elif isinstance(exc, Conflict):
        status = conflict
    else:
        status = status_of(exc)
    return web_error(status, f"{path}: {exc}" if path else str(exc))


def web_error(status: int, message: str, **kwargs: str) -> HTTPError:
    """An ``HTTPError`` showing ``message`` (Jupyter's API shows the format itself; tornado's
    log formats it, so a ``%`` in a path is escaped)."""
    return HTTPError(status, message.replace("%", "%%"), **kwargs)


@contextmanager
def translated(path: str, *, conflict: int = 409) -> Iterator[None]:
    """Raise the ``HTTPError`` for any ``AetherError`` raised inside (chained to it)."""
    try:
        yield
    except AetherError as exc:
        raise http_error(exc, path, conflict=conflict) from exc
