"""Errors at the Jupyter edge: the workspace's error families become ``tornado.web.HTTPError``.

What a ``Conflict`` means depends on the operation (a taken name is 409, a folder that is not
empty is 400 for Jupyter's delete), so a call can name the status it wants.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tornado.web import HTTPError

from aether_data.errors import (
    AetherError,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    PreconditionFailed,
    TooLarge,
    Unauthorized,
    Unavailable,
)

__all__ = ["http_error", "translated", "web_error"]

# Most specific first: TooLarge is an Invalid, ApprovalRequired a Forbidden.
_STATUS: tuple[tuple[type[AetherError], int], ...] = (
    (NotFound, 404),
    (PreconditionFailed, 409),
    (Conflict, 409),
    (TooLarge, 413),
    (Invalid, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (Unavailable, 503),
)


def http_error(exc: AetherError, path: str, *, conflict: int = 409) -> HTTPError:
    """The ``HTTPError`` that ``exc`` stands for on ``path``."""
    status = next((code for family, code in _STATUS if isinstance(exc, family)), 500)
    if isinstance(exc, Conflict) and not isinstance(exc, PreconditionFailed):
        status = conflict
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
