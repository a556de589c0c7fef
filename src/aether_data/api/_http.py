"""HTTP details of files: byte ranges, entity tags, preconditions and the raw request path."""

from __future__ import annotations

from urllib.parse import unquote

from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException

from aether_data.errors import Invalid, PreconditionFailed
from aether_data.wire import CREATE_ONLY
from aether_data.workspace.paths import normalize_path

__all__ = [
    "RangeNotSatisfiable",
    "etag_of",
    "expected_from",
    "matches",
    "parse_range",
    "path_from_raw",
]

_UNSAFE_IN_SEGMENT = ("/", "\\", "\x00")


class RangeNotSatisfiable(HTTPException):
    """416: the range starts past the end of the file."""

    status_code = 416

    def __init__(self, size: int) -> None:
        super().__init__(
            detail=f"the range is outside the file's {size} bytes",
            headers={"Content-Range": f"bytes */{size}"},
        )


def etag_of(content_id: str) -> str:
    """The strong entity tag of a content hash."""
    return f'"{content_id}"'


def matches(header: str, content_id: str) -> bool:
    """Whether an ``If-Match`` / ``If-None-Match`` list names ``content_id`` (or is ``*``)."""
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag_of(content_id) in tags


def expected_from(if_match: str | None, if_none_match: str | None) -> str | None:
    """The workspace's ``expected`` for a write: ``If-Match: "<id>"`` or ``If-None-Match: *``."""
    if if_none_match is not None:
        if if_none_match.strip() != "*":
            raise Invalid("a write takes only 'If-None-Match: *' (create only)")
        return CREATE_ONLY
    if if_match is None:
        return None
    tag = if_match.strip()
    if tag == "*" or "," in tag:
        raise Invalid('a write takes one entity tag in If-Match: "<content id>"')
    if not (len(tag) > 2 and tag.startswith('"') and tag.endswith('"')):
        raise PreconditionFailed(f"If-Match {tag!r} is not a strong entity tag")
    return tag[1:-1]


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(start, length)`` of a single ``Range: bytes=...``; None for the whole file (no
    header, a malformed one, or several ranges); ``RangeNotSatisfiable`` past the end."""
    if not header or not header.strip().lower().startswith("bytes="):
        return None
    spec = header.strip()[6:].strip()
    if "," in spec:
        return None
    first, dash, last = spec.partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first.isdigit() or last.isdigit()):
        return None
    if not first:  # suffix: the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            raise RangeNotSatisfiable(size)
        return max(0, size - count), min(count, size)
    start = int(first)
    if last and (not last.isdigit() or int(last) < start):
        return None
    if start >= size:
        raise RangeNotSatisfiable(size)
    end = min(int(last), size - 1) if last else size - 1
    return start, end - start + 1


def path_from_raw(connection: ASGIConnection, prefix_segments: int, decoded: str) -> str:
    """The canonical session path of a ``{path:path}`` route, read from the raw request path
    so that percent-encoded separators (``..%2f``, ``%5c``, ``%00``) cannot hide a traversal.

    Args:
        connection: The request.
        prefix_segments: How many ``/``-separated segments precede the path
            (``/v1/sessions/ID/files/`` has 5).
        decoded: The path parameter Litestar decoded, used when the server gave no raw path.
    """
    raw: bytes | None = connection.scope.get("raw_path")
    if raw is None:
        return normalize_path(decoded.removeprefix("/"))
    segments = raw.decode("latin-1").split("/")[prefix_segments:]
    try:
        names = [unquote(segment, errors="strict") for segment in segments]
    except UnicodeDecodeError as exc:
        raise Invalid("the path is not valid UTF-8 once percent-decoded") from exc
    for name in names:
        if name in (".", "..") or any(bad in name for bad in _UNSAFE_IN_SEGMENT):
            raise Invalid(f"path segment {name!r} is not allowed (no '.', '..', '/', '\\' or NUL)")
    return normalize_path("/".join(names))
