"""Input validation: every name, id, path and value is checked here before it reaches SQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from aether_data.errors import Invalid
from aether_data.ids import (
    CheckpointName,
    ObjectId,
    RefName,
    SessionId,
    SourceName,
    parse_object_id,
)

from .records import OverlayEntry, OverlayKind

E = TypeVar("E", bound=StrEnum)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# Checkpoint names often carry a timestamp, hence ':', '+' and '@'.
_CHECKPOINT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]{0,99}")
_TOKEN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_SECRET_HASH = re.compile(r"[0-9a-f]{64}")
# Scopes read like "sessions:write"; anything printable without spaces, so they stay one word.
_SCOPE = re.compile(r"[!-~]{1,100}")
_REF_BAD_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_REF = 255
_MAX_TAG = 100
_MAX_LABEL = 255
_MAX_KEY = 1024
# Like paths, a key is part of a primary key and must fit PostgreSQL's b-tree entries.
_MAX_KEY_BYTES = 2048
# PostgreSQL b-tree entries must stay under ~2.7 kB; the path is part of a primary key.
_MAX_PATH_BYTES = 2048
_NEEDS_OBJECT = {OverlayKind.FILE, OverlayKind.EXEC, OverlayKind.LINK}
MAX_LIMIT = 1000


def _match(pattern: re.Pattern[str], value: object, what: str, size: str = "1-100") -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Invalid(f"invalid {what} {value!r}: want {size} chars, {pattern.pattern}")
    return value


def source_name(value: object) -> SourceName:
    return SourceName(_match(_NAME, value, "source name"))


def session_id(value: object) -> SessionId:
    return SessionId(_match(_NAME, value, "session id"))


def tenant(value: object) -> str:
    return _match(_NAME, value, "tenant")


def kv_owner(value: object) -> str:
    """A session id or source name: both are named alike."""
    return _match(_NAME, value, "knowledge entry owner")


def job_id(value: object) -> str:
    return _match(_NAME, value, "job id")


def token_id(value: object) -> str:
    return _match(_TOKEN_ID, value, "token id", "1-32")


def secret_hash(value: object) -> str:
    return _match(_SECRET_HASH, value, "secret hash", "64 lower-case hex")


def scopes(value: object) -> list[str]:
    """Check scopes and return them sorted without duplicates: a token's scopes are a set."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise Invalid(f"invalid scopes {value!r}: want a list of strings")
    return sorted({_match(_SCOPE, scope, "scope", "1-100 printable ASCII") for scope in value})


def checkpoint_name(value: object) -> CheckpointName:
    return CheckpointName(_match(_CHECKPOINT, value, "checkpoint name"))


def _ref_problem(name: str) -> str | None:
    rules = [
        (not 1 <= len(name) <= _MAX_REF, f"must be 1-{_MAX_REF} chars"),
        (bool(_REF_BAD_CHARS.search(name)), "has a space, control char or one of ~^:?*[\\"),
        (".." in name or "@{" in name or name == "@", "has '..' or '@{' or is '@'"),
        (name.startswith("-"), "starts with '-'"),
        (name.endswith("."), "ends with '.'"),
    ]
    for segment in name.split("/"):
        rules.append((not segment, "has an empty segment (leading, trailing or double '/')"))
        rules.append((segment.startswith("."), "has a segment starting with '.'"))
        rules.append((segment.endswith(".lock"), "has a segment ending with '.lock'"))
    return next((reason for broken, reason in rules if broken), None)


def ref_name(value: object) -> RefName:
    if not isinstance(value, str):
        raise Invalid(f"invalid ref name {value!r}: not a string")
    problem = _ref_problem(value)
    if problem:
        raise Invalid(f"invalid ref name {value!r}: {problem}")
    return RefName(value)


def object_id(value: object) -> ObjectId:
    return parse_object_id(value)  # type: ignore[arg-type]


def optional(check: Any, value: object) -> Any:
    return None if value is None else check(value)


def path(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid(f"invalid path {value!r}: want a non-empty string")
    segments = value.split("/")
    if any(s in ("", ".", "..") for s in segments) or _CONTROL.search(value):
        raise Invalid(
            f"invalid path {value!r}: want 'a/b/c' without '.', '..', '//' or control chars"
        )
    if len(value.encode("utf-8", "surrogatepass")) > _MAX_PATH_BYTES:
        raise Invalid(f"path too long (over {_MAX_PATH_BYTES} bytes): {value[:80]!r}...")
    return value


def prefix(value: str | None) -> str | None:
    """Normalise a directory prefix: ``None``/``""`` mean everything, a trailing '/' is optional."""
    if value is None or value.strip("/") == "":
        return None
    return path(value.rstrip("/"))


def enum_value(kind: type[E], value: object, what: str) -> E:
    try:
        return kind(value)
    except ValueError as exc:
        allowed = ", ".join(member.value for member in kind)
        raise Invalid(f"invalid {what} {value!r}: want one of {allowed}") from exc


def text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"invalid {what} {value!r}: want a string")
    return value


def nonempty_text(value: object, what: str) -> str:
    if not text(value, what):
        raise Invalid(f"invalid {what}: want a non-empty string")
    return value  # type: ignore[return-value]


def tags(value: object) -> list[str]:
    """Check tags and drop duplicates, keeping the first occurrence's order."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise Invalid(f"invalid tags {value!r}: want a list of strings")
    result = list(dict.fromkeys(value))
    for tag in result:
        if not isinstance(tag, str) or not 1 <= len(tag) <= _MAX_TAG or _CONTROL.search(tag):
            raise Invalid(f"invalid tag {tag!r}: want 1-{_MAX_TAG} chars, no control chars")
    return result


def dump_json(value: object, what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"{what} is not JSON-serialisable: {exc}") from exc


def metadata(value: object, what: str = "metadata") -> str:
    """Return ``value`` as canonical JSON text; it must be a mapping with string keys."""
    if value is None:
        return "{}"
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise Invalid(f"invalid {what} {value!r}: want a mapping with string keys")
    return dump_json(dict(value), what)


def entry(value: object) -> OverlayEntry:
    if not isinstance(value, OverlayEntry):
        raise Invalid(f"invalid overlay entry {value!r}: want an OverlayEntry or None")
    kind = enum_value(OverlayKind, value.kind, "overlay kind")
    if kind is OverlayKind.TOMBSTONE and value.object_id is not None:
        raise Invalid("a tombstone names no object")
    if kind in _NEEDS_OBJECT and value.object_id is None:
        raise Invalid(f"a {kind} entry needs an object id")
    if isinstance(value.size, bool) or not isinstance(value.size, int) or value.size < 0:
        raise Invalid(f"invalid size {value.size!r}: want an integer >= 0")
    return OverlayEntry(kind, optional(object_id, value.object_id), value.size)


def limit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise Invalid(f"invalid limit {value!r}: want an integer from 1 to {MAX_LIMIT}")
    return value


def version(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(f"invalid version {value!r}: want an integer >= 1")
    return value


def count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Invalid(f"invalid {what} {value!r}: want an integer >= 0")
    return value


def expected_version(value: object) -> int:
    """A version to compare with; 0 means "not there yet"."""
    return count(value, "expected version")


def kv_key(value: object, what: str = "key") -> str:
    """A knowledge entry's key (a prefix, ``what="key prefix"``, may also be empty)."""
    if not isinstance(value, str) or (not value and what == "key"):
        raise Invalid(f"invalid {what} {value!r}: want a non-empty string")
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise Invalid(f"invalid {what} {value[:80]!r}: not valid Unicode text") from exc
    if len(value) > _MAX_KEY or size > _MAX_KEY_BYTES:
        raise Invalid(f"{what} too long (over {_MAX_KEY} chars or {_MAX_KEY_BYTES} bytes)")
    if "\x00" in value:
        raise Invalid(f"invalid {what} {value[:80]!r}: has a NUL char")
    return value


def blob(value: object, what: str) -> bytes:
    if not isinstance(value, bytes | bytearray | memoryview):
        raise Invalid(f"invalid {what}: want bytes, not {type(value).__name__}")
    return bytes(value)


def label(value: object, what: str) -> str:
    """An event type or bus topic: 1-255 chars without control chars."""
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_LABEL or _CONTROL.search(value):
        raise Invalid(f"invalid {what} {value!r}: want 1-{_MAX_LABEL} chars, no control chars")
    return value


def json_text(value: object, what: str) -> str:
    """Text that parses as JSON, returned unchanged."""
    try:
        json.loads(text(value, what))
    except ValueError as exc:
        raise Invalid(f"invalid {what}: not JSON text ({exc})") from exc
    return value  # type: ignore[return-value]
