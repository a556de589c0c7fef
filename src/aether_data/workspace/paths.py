"""Paths inside a session: relative, slash-separated, every component a safe tree name."""

from __future__ import annotations

from aether_data.errors import Invalid
from aether_data.objects import validate_name

__all__ = ["MAX_PATH_BYTES", "join", "normalize_path", "parent_and_name", "split_path"]

MAX_PATH_BYTES = 2048


def normalize_path(path: str | bytes, *, allow_root: bool = False) -> str:
    """Return ``path`` in canonical form (``a/b/c``), or raise ``Invalid`` saying why.

    Refused: absolute paths, ``.`` and ``..`` components, backslashes, NUL, empty components
    (``a//b``), non-UTF-8 bytes, components over 255 bytes and paths over 2048 bytes. A single
    trailing slash is tolerated. The empty path (the root) is refused unless ``allow_root``.
    """
    if isinstance(path, bytes):
        try:
            path = path.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid(f"path is not valid UTF-8: {path!r}") from exc
    if "\\" in path:
        raise Invalid(f"path {path!r} contains a backslash; use '/' between components")
    if path.startswith("/"):
        raise Invalid(f"path {path!r} is absolute; session paths are relative to the session root")
    text = path[:-1] if path.endswith("/") else path
    if text == "":
        if allow_root:
            return ""
        raise Invalid("the path is empty (the session root is not a file)")
    _check_length(text)
    for part in text.split("/"):
        try:
            validate_name(part)
        except Invalid as exc:
            raise Invalid(f"path {path!r} is not allowed: {exc}") from exc
    return text


def _check_length(text: str) -> None:
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise Invalid(f"path is not valid UTF-8: {text!r}") from exc
    if size > MAX_PATH_BYTES:
        raise Invalid(f"path is longer than {MAX_PATH_BYTES} bytes: {text[:60]!r}...")


def split_path(path: str) -> list[str]:
    """The components of a canonical path (``[]`` for the root)."""
    return path.split("/") if path else []


def parent_and_name(path: str) -> tuple[str, str]:
    """``("a/b", "c")`` for ``a/b/c``; ``("", "c")`` for ``c``."""
    parent, _, name = path.rpartition("/")
    return parent, name


def join(parent: str, name: str) -> str:
    """Join a canonical parent path and a name."""
    return f"{parent}/{name}" if parent else name
