"""``EmbeddedReview``: the ``ReviewAPI`` of one tenant, in process (the HTTP service answers
through it too)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aether_data.catalog import BusMessage as BusRecord
from aether_data.catalog import EventRecord, KvRecord, KvScope
from aether_data.errors import Invalid
from aether_data.service.gates import EmbeddedGates
from aether_data.wire import Page
from aether_data.wire.review import BusMessage, Event, KvEntry, OwnerKind

if TYPE_CHECKING:
    from aether_data.service import Services

__all__ = ["EmbeddedReview", "bus_message", "event", "kv_entry"]

_SCOPES = {"session": KvScope.SESSION, "source": KvScope.SOURCE}


def kv_entry(record: KvRecord, *, with_value: bool = True) -> KvEntry:
    """A stored entry as the wire shows it."""
    return KvEntry(
        key=record.key,
        version=record.version,
        size=record.size,
        author=record.author,
        created_at=record.created_at,
        updated_at=record.updated_at,
        value=record.value if with_value else None,
    )


def bus_message(record: BusRecord) -> BusMessage:
    """A stored message as the wire shows it (its body decoded)."""
    return BusMessage(
        seq=record.seq,
        topic=record.topic,
        body=json.loads(record.body),
        author=record.author,
        created_at=record.created_at,
        session_id=record.session_id,
    )


def event(record: EventRecord) -> Event:
    """A stored event as the wire shows it."""
    return Event(
        seq=record.seq,
        type=record.type,
        actor=record.actor,
        created_at=record.created_at,
        session_id=record.session_id,
        source=record.source,
        subject=record.subject,
        details=dict(record.details),
    )


class EmbeddedReview(EmbeddedGates):
    """``ReviewAPI`` over the process's knowledge, bus and events (and, from
    ``EmbeddedGates``, annotations, approvals, checks and policies), for one tenant, acting as
    ``actor`` (a token id, or ``local`` for the embedded user)."""

    def __init__(self, services: Services, tenant: str, actor: str) -> None:
        self._services = services
        self.tenant = tenant
        self.actor = actor

    # ----------------------------------------------------------------- owners
    def _owner(self, owner_kind: OwnerKind, owner: str) -> tuple[KvScope, str]:
        """The scope and id of a session or source of this tenant; ``NotFound`` otherwise."""
        scope = _SCOPES.get(owner_kind)
        if scope is None:
            raise Invalid(f"knowledge belongs to a 'session' or a 'source', not {owner_kind!r}")
        workspace = self._services.workspace(self.tenant)
        if scope is KvScope.SESSION:
            return scope, workspace.owned_session(owner).id
        return scope, workspace.owned_source(owner).name

    def _session_of(self, session_id: str | None) -> str | None:
        if session_id is None:
            return None
        return self._services.workspace(self.tenant).owned_session(session_id).id

    # ----------------------------------------------------------------- knowledge
    def kv_get(self, owner_kind: OwnerKind, owner: str, key: str) -> KvEntry:
        return kv_entry(self._services.knowledge.get(*self._owner(owner_kind, owner), key))

    def kv_put(
        self,
        owner_kind: OwnerKind,
        owner: str,
        key: str,
        value: bytes,
        *,
        expected_version: int | None = None,
    ) -> KvEntry:
        scope, owner_id = self._owner(owner_kind, owner)
        record = self._services.knowledge.put(
            scope,
            owner_id,
            key,
            value,
            author=self.actor,
            tenant=self.tenant,
            expected_version=expected_version,
        )
        self._record_kv("kv.put", scope, owner_id, key, version=record.version, size=record.size)
        return kv_entry(record)

    def kv_delete(
        self, owner_kind: OwnerKind, owner: str, key: str, *, expected_version: int | None = None
    ) -> None:
        scope, owner_id = self._owner(owner_kind, owner)
        self._services.knowledge.delete(scope, owner_id, key, expected_version=expected_version)
        self._record_kv("kv.delete", scope, owner_id, key)

    def kv_list(
        self,
        owner_kind: OwnerKind,
        owner: str,
        *,
        prefix: str = "",
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[KvEntry]:
        scope, owner_id = self._owner(owner_kind, owner)
        page = self._services.knowledge.list(
            scope, owner_id, prefix=prefix, cursor=cursor, limit=limit
        )
        items = [kv_entry(record, with_value=False) for record in page.items]
        return Page(items=items, next_cursor=page.next_cursor)

    def kv_delete_prefix(self, owner_kind: OwnerKind, owner: str, prefix: str) -> int:
        scope, owner_id = self._owner(owner_kind, owner)
        deleted = self._services.knowledge.delete_prefix(scope, owner_id, prefix)
        self._record_kv("kv.delete_prefix", scope, owner_id, prefix, deleted=deleted)
        return deleted

    def _record_kv(self, kind: str, scope: KvScope, owner: str, key: str, **details: Any) -> None:
        where = {"session_id": owner} if scope is KvScope.SESSION else {"source": owner}
        self.record(kind, subject=key, details=details, **where)

    # ----------------------------------------------------------------- bus
    def publish(self, topic: str, body: Any = None, *, session_id: str | None = None) -> BusMessage:
        record = self._services.bus.publish(
            self.tenant, topic, body, author=self.actor, session_id=self._session_of(session_id)
        )
        return bus_message(record)

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
        if not 1 <= limit <= 1000:
            raise Invalid(f"limit must be between 1 and 1000, not {limit}")
        records = self._services.bus.read(
            self.tenant,
            patterns,
            session_id=self._session_of(session_id),
            session_only=session_only,
            after_seq=after_seq,
            last=last,
            limit=limit,
        )
        return [bus_message(record) for record in records]

    def subscribe(
        self,
        patterns: Sequence[str] = ("*",),
        *,
        session_id: str | None = None,
        session_only: bool = False,
        after_seq: int | None = None,
        last: int | None = None,
        poll: float = 0.25,
        stop: Any = None,
    ) -> Iterator[BusMessage]:
        records = self._services.bus.subscribe(
            self.tenant,
            patterns,
            session_id=self._session_of(session_id),
            session_only=session_only,
            after_seq=after_seq,
            last=last,
            poll=poll,
            stop=stop,
        )
        return (bus_message(record) for record in records)

    def bus_stream(
        self,
        patterns: Sequence[str] = ("*",),
        *,
        session_id: str | None = None,
        session_only: bool = False,
        after_seq: int | None = None,
        last: int | None = None,
    ) -> tuple[list[BusMessage], int, Callable[[int], tuple[list[BusMessage], int]]]:
        """What a subscription over HTTP needs: the messages to replay, the sequence number to
        follow from, and ``read(seq) -> (new matching messages, seq reached)``. Not part of
        ``ReviewAPI``: the service waits between reads its own (asynchronous) way."""
        bus = self._services.bus
        reader = bus.reader(
            self.tenant,
            patterns,
            session_id=self._session_of(session_id),
            session_only=session_only,
        )
        replay, start = bus.start(reader, after_seq=after_seq, last=last)

        def read(seq: int) -> tuple[list[BusMessage], int]:
            found, reached = reader.read(seq)
            return [bus_message(record) for record in found], reached

        return [bus_message(record) for record in replay], start, read

    # ----------------------------------------------------------------- events
    def events_reader(
        self, *, types: Sequence[str] | None = None, session_id: str | None = None
    ) -> Callable[[int], tuple[list[Event], int]]:
        """``read(seq) -> (next events, seq reached)``, for the service's event stream."""
        read = self._services.events.reader(self.tenant, types=types, session_id=session_id)

        def converted(seq: int) -> tuple[list[Event], int]:
            found, reached = read(seq)
            return [event(record) for record in found], reached

        return converted

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
        page = self._services.events.list(
            self.tenant,
            types=types,
            session_id=session_id,
            since=since,
            until=until,
            cursor=cursor,
            limit=limit,
        )
        return Page(items=[event(record) for record in page.items], next_cursor=page.next_cursor)

    def follow_events(
        self,
        *,
        types: Sequence[str] | None = None,
        session_id: str | None = None,
        after_seq: int = 0,
        poll: float = 0.5,
        stop: Any = None,
    ) -> Iterator[Event]:
        records = self._services.events.follow(
            self.tenant,
            types=types,
            session_id=session_id,
            after_seq=after_seq,
            poll=poll,
            stop=stop,
        )
        return (event(record) for record in records)
