"""``ReviewAPI``: knowledge entries, the message bus and the audit log, as every surface sees
them (``GatesAPI``, which it includes, adds annotations, approvals, checks and branch
policies). The embedded implementation is ``aether_data.service.EmbeddedReview``; the HTTP
client implements it too, and one conformance suite runs against both.

HTTP routes (under ``/v1``, bearer token):

=========================================================  =================  =============
route                                                      method             scope
=========================================================  =================  =============
GET    /sessions/{id}/kv?prefix=&cursor=&limit=            kv_list            session.read
GET    /sessions/{id}/kv/{key}                             kv_get             session.read
PUT    /sessions/{id}/kv/{key}   (raw body; If-Match:      kv_put             session.write
       "<version>" | If-None-Match: *)
DELETE /sessions/{id}/kv/{key}   (If-Match: "<version>")   kv_delete          session.write
DELETE /sessions/{id}/kv?prefix=                           kv_delete_prefix   session.write
  ... the same under /sources/{name}/kv                    (source.read / source.write)
POST   /bus/messages                                       publish            session.write
GET    /bus/messages?pattern=&session_id=&session_only=    bus_read           session.read
       &after_seq=&last=&limit=
GET    /bus/stream?pattern=&session_id=&session_only=      subscribe (SSE)    session.read
       &after_seq=&last=   (Last-Event-ID resumes)
GET    /events?type=&session_id=&since=&until=&cursor=     list_events        session.read
       &limit=
GET    /events/stream?type=&session_id=&after_seq=  (SSE)  follow_events      session.read
=========================================================  =================  =============

Knowledge entries belong to a session or a source of the caller's tenant (another tenant's
owner is ``NotFound``). Bus messages and events belong to the tenant; a bus message may be
addressed to one session. Sequence numbers (``seq``) grow in the order messages and events
were stored, so resuming "after seq N" never skips nor repeats one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

from aether_data.wire.gates import GatesAPI
from aether_data.wire.models import Page

__all__ = [
    "BusMessage",
    "Event",
    "KvEntry",
    "OwnerKind",
    "PublishRequest",
    "ReviewAPI",
]

OwnerKind = Literal["session", "source"]


class KvEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A knowledge entry; ``value`` is None in listings."""

    key: str
    version: int
    size: int
    author: str
    created_at: datetime
    updated_at: datetime
    value: bytes | None = None


class BusMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A message on the bus; ``body`` is the JSON value it was published with."""

    seq: int
    topic: str
    body: Any
    author: str
    created_at: datetime
    session_id: str | None = None


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of the audit log: who (``actor``, a token id) did what (``type``) when."""

    seq: int
    type: str
    actor: str
    created_at: datetime
    session_id: str | None = None
    source: str | None = None
    subject: str | None = None
    details: dict[str, Any] = msgspec.field(default_factory=dict)


class PublishRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of ``POST /v1/bus/messages``."""

    topic: str
    body: Any = None
    session_id: str | None = None


@runtime_checkable
class ReviewAPI(GatesAPI, Protocol):
    """Knowledge entries, the bus and the audit log of one tenant, and (``GatesAPI``)
    annotations, approvals, checks and branch policies."""

    def kv_get(self, owner_kind: OwnerKind, owner: str, key: str) -> KvEntry:
        """The entry with its value; ``NotFound`` when absent."""
        ...

    def kv_put(
        self,
        owner_kind: OwnerKind,
        owner: str,
        key: str,
        value: bytes,
        *,
        expected_version: int | None = None,
    ) -> KvEntry:
        """Store ``value`` (at most 1 MiB, else ``TooLarge``). ``expected_version``: None
        writes regardless, 0 only creates, n only replaces version n (``PreconditionFailed``)."""
        ...

    def kv_delete(
        self, owner_kind: OwnerKind, owner: str, key: str, *, expected_version: int | None = None
    ) -> None:
        """Remove the entry; ``NotFound`` when absent."""
        ...

    def kv_list(
        self,
        owner_kind: OwnerKind,
        owner: str,
        *,
        prefix: str = "",
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[KvEntry]:
        """Entries (without values) whose key starts with ``prefix``, by key."""
        ...

    def kv_delete_prefix(self, owner_kind: OwnerKind, owner: str, prefix: str) -> int:
        """Remove every entry whose key starts with ``prefix``; returns how many."""
        ...

    def publish(self, topic: str, body: Any = None, *, session_id: str | None = None) -> BusMessage:
        """Publish a JSON value on ``topic``, tenant-wide or to one session."""
        ...

    def bus_read(
        self,
        patterns: Sequence[str] = ("*",),
        *,
        session_id: str | None = None,
        session_only: bool = False,
        after_seq: int = 0,
        last: int | None = None,
        limit: int = 1000,
    ) -> list[BusMessage]:
        """Stored messages whose topic matches a glob of ``patterns``: after ``after_seq``,
        or the ``last`` N. With ``session_id``: that session's and (unless ``session_only``)
        the tenant-wide ones."""
        ...

    def subscribe(
        self,
        patterns: Sequence[str] = ("*",),
        *,
        session_id: str | None = None,
        session_only: bool = False,
        after_seq: int | None = None,
        last: int | None = None,
    ) -> Iterator[BusMessage]:
        """Replay (after ``after_seq`` or the ``last`` N; neither: nothing), then every new
        matching message as it is published. Endless: stop iterating (close it) when done."""
        ...

    def list_events(
        self,
        *,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[Event]:
        """The audit log in order; ``types`` may end in ``.*`` (``session.*``)."""
        ...

    def follow_events(
        self,
        *,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
        after_seq: int = 0,
    ) -> Iterator[Event]:
        """Every event after ``after_seq``, then each new one. Endless, like ``subscribe``."""
        ...
