"""One plan per request/response method of ``ReviewAPI``: knowledge entries, the bus and the
audit log. The contract is documented once, on ``aether_data.wire.review``; the docstrings
here only name the route. (``subscribe`` and ``follow_events`` are streams: see ``_sse``.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import msgspec

from aether_data.client._calls import Call, Plan, json_call, segment
from aether_data.errors import Invalid
from aether_data.wire import Page
from aether_data.wire.review import BusMessage, Event, KvEntry, OwnerKind, PublishRequest

# Every plan below (the clients turn each into a method of the same name), and the requests
# of the two streams (``*_stream``: URL and query).
__all__ = [
    "bus_read",
    "bus_stream",
    "events_stream",
    "kv_delete",
    "kv_delete_prefix",
    "kv_get",
    "kv_list",
    "kv_put",
    "list_events",
    "publish",
]

_OWNERS = {"session": "/v1/sessions", "source": "/v1/sources"}


class _Deleted(msgspec.Struct, frozen=True):
    deleted: int


# ----------------------------------------------------------------------------- knowledge
def _kv(owner_kind: OwnerKind, owner: str, key: str | None = None) -> str:
    """``/v1/{sessions|sources}/{owner}/kv[/{key}]``, the key encoded as one segment."""
    base = _OWNERS.get(owner_kind)
    if base is None:
        raise Invalid(f"knowledge belongs to a 'session' or a 'source', not {owner_kind!r}")
    url = f"{base}/{segment(owner)}/kv"
    return url if key is None else f"{url}/{_key(key)}"


def _key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise Invalid("a key must not be empty")
    if not key.strip("/"):
        # The server's router drops the slashes and takes it for the listing route (/kv).
        raise Invalid(f"key {key!r} of slashes only cannot be named over HTTP")
    if key in (".", ".."):
        return key.replace(".", "%2E")  # else URL normalisation would resolve it away
    try:
        return quote(key, safe="", errors="strict")
    except UnicodeEncodeError as exc:
        raise Invalid(f"key {key[:80]!r} is not valid Unicode text") from exc


def _version_tag(expected_version: int | None) -> dict[str, str]:
    """``If-None-Match: *`` for 0 (create only), ``If-Match: "<n>"`` for version n."""
    if expected_version is None:
        return {}
    if isinstance(expected_version, bool) or not isinstance(expected_version, int):
        raise Invalid(f"expected_version is a number, not {expected_version!r}")
    if expected_version < 0:
        raise Invalid(f"expected_version must not be negative, not {expected_version}")
    if expected_version == 0:
        return {"If-None-Match": "*"}
    return {"If-Match": f'"{expected_version}"'}


def kv_get(owner_kind: OwnerKind, owner: str, key: str) -> Plan[KvEntry]:
    """``GET /v1/{sessions|sources}/{owner}/kv/{key}``."""
    return (yield from json_call("GET", _kv(owner_kind, owner, key), KvEntry))


def kv_put(
    owner_kind: OwnerKind,
    owner: str,
    key: str,
    value: bytes,
    *,
    expected_version: int | None = None,
) -> Plan[KvEntry]:
    """``PUT /v1/{sessions|sources}/{owner}/kv/{key}`` (the body is the value)."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise Invalid(f"a value is bytes, not {type(value).__name__}")
    url, headers = _kv(owner_kind, owner, key), _version_tag(expected_version)
    return (yield from json_call("PUT", url, KvEntry, headers=headers, body=bytes(value)))


def kv_delete(
    owner_kind: OwnerKind, owner: str, key: str, *, expected_version: int | None = None
) -> Plan[None]:
    """``DELETE /v1/{sessions|sources}/{owner}/kv/{key}``."""
    headers = _version_tag(expected_version)
    yield Call("DELETE", _kv(owner_kind, owner, key), headers=headers)


def kv_list(
    owner_kind: OwnerKind,
    owner: str,
    *,
    prefix: str = "",
    cursor: str | None = None,
    limit: int = 100,
) -> Plan[Page[KvEntry]]:
    """``GET /v1/{sessions|sources}/{owner}/kv``."""
    params = {"prefix": prefix, "cursor": cursor, "limit": limit}
    return (yield from json_call("GET", _kv(owner_kind, owner), Page[KvEntry], params=params))


def kv_delete_prefix(owner_kind: OwnerKind, owner: str, prefix: str) -> Plan[int]:
    """``DELETE /v1/{sessions|sources}/{owner}/kv?prefix=``."""
    url, params = _kv(owner_kind, owner), {"prefix": prefix}
    return (yield from json_call("DELETE", url, _Deleted, params=params)).deleted


# ----------------------------------------------------------------------------- bus
def _patterns(patterns: Sequence[str]) -> list[str]:
    """The patterns as a list; none at all is ``Invalid`` (the server would read ``*``)."""
    listed = [patterns] if isinstance(patterns, str) else list(patterns)
    if not listed:
        raise Invalid("not a topic pattern: (none given)")
    return listed


def publish(topic: str, body: Any = None, *, session_id: str | None = None) -> Plan[BusMessage]:
    """``POST /v1/bus/messages``."""
    request = PublishRequest(topic=topic, body=body, session_id=session_id)
    return (yield from json_call("POST", "/v1/bus/messages", BusMessage, json=request))


def bus_read(
    patterns: Sequence[str] = ("*",),
    *,
    session_id: str | None = None,
    session_only: bool = False,
    after_seq: int = 0,
    last: int | None = None,
    limit: int = 1000,
) -> Plan[list[BusMessage]]:
    """``GET /v1/bus/messages``."""
    params = {
        "pattern": _patterns(patterns),
        "session_id": session_id,
        "session_only": session_only,
        "after_seq": after_seq,
        "last": last,
        "limit": limit,
    }
    return (yield from json_call("GET", "/v1/bus/messages", list[BusMessage], params=params))


def bus_stream(
    patterns: Sequence[str] = ("*",),
    *,
    session_id: str | None = None,
    session_only: bool = False,
    after_seq: int | None = None,
    last: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """The URL and query of ``GET /v1/bus/stream`` (``subscribe``)."""
    params = {
        "pattern": _patterns(patterns),
        "session_id": session_id,
        "session_only": session_only,
        "after_seq": after_seq,
        "last": last,
    }
    return "/v1/bus/stream", params


# ----------------------------------------------------------------------------- events
def _types(types: Sequence[str] | None) -> list[str] | None:
    if types is None:
        return None
    return [types] if isinstance(types, str) else list(types)


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def list_events(
    *,
    types: Sequence[str] | None = None,
    session_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> Plan[Page[Event]]:
    """``GET /v1/events``."""
    params = {
        "type": _types(types),
        "session_id": session_id,
        "since": _instant(since),
        "until": _instant(until),
        "cursor": cursor,
        "limit": limit,
    }
    return (yield from json_call("GET", "/v1/events", Page[Event], params=params))


def events_stream(
    *, types: Sequence[str] | None = None, session_id: str | None = None, after_seq: int = 0
) -> tuple[str, dict[str, Any]]:
    """The URL and query of ``GET /v1/events/stream`` (``follow_events``)."""
    params = {"type": _types(types), "session_id": session_id, "after_seq": after_seq}
    return "/v1/events/stream", params
