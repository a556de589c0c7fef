"""Errors at the filesystem edge: the workspace's error families become ``OSError``s.

What a ``Conflict`` or ``Invalid`` means depends on the operation (a taken name, a folder that
is not empty, a folder where a file was expected), so each call names the errno it wants.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

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

__all__ = ["os_error", "translated"]


def os_error(
    exc: AetherError,
    path: str,
    *,
    conflict: int = errno.EEXIST,
    invalid: int = errno.EINVAL,
    precondition: int = errno.EEXIST,
) -> OSError:
    """The ``OSError`` (a subclass chosen by errno) that ``exc`` stands for on ``path``."""
    if isinstance(exc, Unavailable):
        return ConnectionError(errno.ECONNREFUSED, str(exc), path)
    code = _errno(exc, conflict=conflict, invalid=invalid, precondition=precondition)
    return OSError(code, str(exc), path)  # OSError picks FileNotFoundError etc. from the errno


def _errno(exc: AetherError, *, conflict: int, invalid: int, precondition: int) -> int:
    if isinstance(exc, NotFound):
        return errno.ENOENT
    if isinstance(exc, Conflict):
        return conflict
    if isinstance(exc, PreconditionFailed):
        return precondition
    if isinstance(exc, TooLarge):
        return errno.EFBIG
    if isinstance(exc, Invalid):
        return invalid
    if isinstance(exc, Forbidden | Unauthorized):
        return errno.EACCES
    return errno.EIO


@contextmanager
def translated(
    path: str,
    *,
    conflict: int = errno.EEXIST,
    invalid: int = errno.EINVAL,
    precondition: int = errno.EEXIST,
) -> Iterator[None]:
    """Raise the ``OSError`` for any ``AetherError`` raised inside (chained to it)."""
    try:
        yield
    except AetherError as exc:
        error = os_error(exc, path, conflict=conflict, invalid=invalid, precondition=precondition)
        raise error from exc
