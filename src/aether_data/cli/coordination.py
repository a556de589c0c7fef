"""``aether kv``, ``aether bus`` and ``aether events``: knowledge entries, the message bus and
the audit log, embedded (acting as ``local``) or through a server's ``ReviewAPI``."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import click
import msgspec

from aether_data.cli._app import cli, emit, json_option, pass_connection
from aether_data.cli._connect import Connection, connect, every, first
from aether_data.errors import Invalid
from aether_data.wire.review import BusMessage, Event, KvEntry, OwnerKind, ReviewAPI

__all__ = ["bus_group", "events_group", "kv_group"]

T = TypeVar("T")

SOURCE_OPTION = click.option(
    "--source", "is_source", is_flag=True, help="OWNER is a source name, not a session id."
)
SESSION_OPTION = click.option("--session", "session_id", metavar="ID", help="A session id.")
COUNT_OPTION = click.option(
    "--count", type=click.IntRange(min=1), metavar="N", help="Stop after N (default: follow)."
)
TYPE_OPTION = click.option(
    "--type", "types", multiple=True, metavar="T", help="An event type, or PREFIX.* (repeatable)."
)


def review_api(conn: Connection) -> ReviewAPI:
    """The ``ReviewAPI`` of a connection: the local one (acting as the workspace's actor,
    ``AETHER_ACTOR``), or the client."""
    if conn.services is not None:
        return conn.services.review(actor=conn.api.actor)  # type: ignore[attr-defined]
    assert conn.client is not None
    return cast(ReviewAPI, conn.client)


def data(item: msgspec.Struct) -> dict[str, Any]:
    """JSON-ready fields of a wire struct (datetimes in ISO 8601, bytes in base64)."""
    return cast(dict[str, Any], msgspec.to_builtins(item))


def _owner_kind(is_source: bool) -> OwnerKind:
    return "source" if is_source else "session"


def _follow(items: Iterator[T], count: int | None, line: Callable[[T], str]) -> None:
    """Print each item as it comes, until ``count`` of them or Ctrl-C (exit 130)."""
    try:
        for seen, item in enumerate(items, 1):
            click.echo(line(item))
            if count is not None and seen >= count:
                return
    except KeyboardInterrupt:
        click.get_current_context().exit(130)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _json_line(item: msgspec.Struct) -> str:
    return json.dumps(data(item), sort_keys=True)


# ------------------------------------------------------------------------------- knowledge
@cli.group("kv")
def kv_group() -> None:
    """Knowledge entries of a session (or, with --source, of a source)."""


@kv_group.command("get")
@click.argument("owner")
@click.argument("key")
@SOURCE_OPTION
@json_option
@pass_connection
def kv_get(conn: Connection, owner: str, key: str, is_source: bool, as_json: bool) -> None:
    """Print the value of KEY as raw bytes (--json: the entry, its value in base64)."""
    entry = review_api(conn).kv_get(_owner_kind(is_source), owner, key)
    if as_json:
        emit(True, data(entry), "")
        return
    out = sys.stdout.buffer
    out.write(entry.value or b"")
    out.flush()


def _value(value: str | None, file: Path | None) -> bytes:
    """VALUE as UTF-8, the bytes of --file, or standard input for ``-``."""
    if (value is None) == (file is None):
        raise Invalid("give exactly one of VALUE, --file PATH or - (standard input)")
    if file is not None:
        return file.read_bytes()
    if value == "-":
        return sys.stdin.buffer.read()
    return cast(str, value).encode()


def _expected(expect_version: int | None, create_only: bool) -> int | None:
    if create_only and expect_version is not None:
        raise Invalid("give --expect-version or --create-only, not both")
    return 0 if create_only else expect_version


EXPECT_OPTION = click.option(
    "--expect-version",
    type=click.IntRange(min=1),
    metavar="N",
    help="Only if the entry is at version N (else exit 4).",
)


@kv_group.command("put")
@click.argument("owner")
@click.argument("key")
@click.argument("value", required=False)
@click.option(
    "--file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Store the bytes of PATH.",
)
@SOURCE_OPTION
@EXPECT_OPTION
@click.option("--create-only", is_flag=True, help="Only if KEY does not exist yet (else exit 4).")
@json_option
@pass_connection
def kv_put(
    conn: Connection,
    owner: str,
    key: str,
    value: str | None,
    file: Path | None,
    is_source: bool,
    expect_version: int | None,
    create_only: bool,
    as_json: bool,
) -> None:
    """Store VALUE (UTF-8), the bytes of --file PATH, or standard input (-) under KEY."""
    entry = review_api(conn).kv_put(
        _owner_kind(is_source),
        owner,
        key,
        _value(value, file),
        expected_version=_expected(expect_version, create_only),
    )
    emit(as_json, data(entry), f"{entry.key} version {entry.version} ({entry.size} bytes)")


@kv_group.command("rm")
@click.argument("owner")
@click.argument("key", required=False)
@click.option("--prefix", metavar="P", help="Remove every entry whose key starts with P.")
@SOURCE_OPTION
@EXPECT_OPTION
@json_option
@pass_connection
def kv_rm(
    conn: Connection,
    owner: str,
    key: str | None,
    prefix: str | None,
    is_source: bool,
    expect_version: int | None,
    as_json: bool,
) -> None:
    """Remove KEY, or (with --prefix P) every entry under P and print how many."""
    api, kind = review_api(conn), _owner_kind(is_source)
    if (key is None) == (prefix is None):
        raise Invalid("give KEY or --prefix P, not both nor neither")
    if prefix is not None:
        if expect_version is not None:
            raise Invalid("--expect-version applies to one KEY, not to --prefix")
        deleted = api.kv_delete_prefix(kind, owner, prefix)
        emit(as_json, {"deleted": deleted}, str(deleted))
        return
    api.kv_delete(kind, owner, cast(str, key), expected_version=expect_version)
    emit(as_json, {"deleted": 1}, f"removed {key}")


@kv_group.command("ls")
@click.argument("owner")
@click.option("--prefix", default="", metavar="P", help="Only keys starting with P.")
@SOURCE_OPTION
@json_option
@pass_connection
def kv_ls(conn: Connection, owner: str, prefix: str, is_source: bool, as_json: bool) -> None:
    """List entries: key, version, size, author, updated_at."""
    entries: list[KvEntry] = every(
        review_api(conn).kv_list, _owner_kind(is_source), owner, prefix=prefix
    )
    rows = [{k: v for k, v in data(e).items() if k != "value"} for e in entries]
    emit(as_json, rows, "\n".join(_kv_line(e) for e in entries))


def _kv_line(entry: KvEntry) -> str:
    updated = entry.updated_at.isoformat()
    return f"{entry.key}  {entry.version:>4}  {entry.size:>8}  {entry.author:12}  {updated}"


# ------------------------------------------------------------------------------- bus
@cli.group("bus")
def bus_group() -> None:
    """The message bus: publish JSON values on topics, tail them."""


def _json_body(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise Invalid(f"the body is not JSON ({exc}); quote strings: '\"text\"'") from exc


@bus_group.command("publish")
@click.argument("topic")
@click.argument("body", metavar="[JSON_BODY]", required=False)
@SESSION_OPTION
@json_option
@pass_connection
def bus_publish(
    conn: Connection, topic: str, body: str | None, session_id: str | None, as_json: bool
) -> None:
    """Publish JSON_BODY (a JSON value; none: null) on TOPIC, tenant-wide or to --session."""
    message = review_api(conn).publish(topic, _json_body(body), session_id=session_id)
    emit(as_json, data(message), str(message.seq))


def _bus_line(message: BusMessage) -> str:
    return f"{message.seq} {message.topic} {json.dumps(message.body, separators=(',', ':'))}"


@bus_group.command("tail")
@click.argument("patterns", nargs=-1, metavar="[PATTERN ...]")
@SESSION_OPTION
@click.option("--session-only", is_flag=True, help="Only the messages sent to --session.")
@click.option("--after", type=click.IntRange(min=0), metavar="SEQ", help="Replay after SEQ.")
@click.option("--last", type=click.IntRange(min=0), metavar="N", help="Replay the last N.")
@COUNT_OPTION
@json_option
@pass_connection
def bus_tail(
    conn: Connection,
    patterns: tuple[str, ...],
    session_id: str | None,
    session_only: bool,
    after: int | None,
    last: int | None,
    count: int | None,
    as_json: bool,
) -> None:
    """Print messages whose topic matches a glob PATTERN (default *) as they are published,
    as `seq topic body` lines (--json: JSON lines), until Ctrl-C or --count N."""
    if after is not None and last is not None:
        raise Invalid("give --after SEQ or --last N, not both")
    if session_only and session_id is None:
        raise Invalid("--session-only needs --session ID")
    messages = review_api(conn).subscribe(
        patterns or ("*",),
        session_id=session_id,
        session_only=session_only,
        after_seq=after,
        last=last,
    )
    _follow(messages, count, _json_line if as_json else _bus_line)


# ------------------------------------------------------------------------------- events
def _when(text: str | None, flag: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(f"{flag} {text!r} is not an ISO 8601 date or time") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _event_line(event: Event) -> str:
    where = event.session_id or (f"source:{event.source}" if event.source else "-")
    subject = f" {event.subject}" if event.subject else ""
    return f"{event.seq} {event.created_at.isoformat()} {event.actor} {event.type} {where}{subject}"


@cli.group("events", invoke_without_command=True)
@TYPE_OPTION
@SESSION_OPTION
@click.option("--since", metavar="ISO", help="Only events at or after this time.")
@click.option("--until", metavar="ISO", help="Only events before this time.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=100, show_default=True, help="At most N."
)
@json_option
@click.pass_context
def events_group(
    ctx: click.Context,
    types: tuple[str, ...],
    session_id: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The audit log: who did what, when. Alone, list it in order (oldest first);
    `events tail` follows it."""
    if ctx.invoked_subcommand is not None:
        return
    with connect(ctx.obj) as conn:
        found: list[Event] = first(
            review_api(conn).list_events,
            limit,
            types=list(types) or None,
            session_id=session_id,
            since=_when(since, "--since"),
            until=_when(until, "--until"),
        )
    emit(as_json, [data(e) for e in found], "\n".join(_event_line(e) for e in found))


@events_group.command("tail")
@TYPE_OPTION
@SESSION_OPTION
@click.option(
    "--after", type=click.IntRange(min=0), metavar="SEQ", help="Start after SEQ [default: now]."
)
@COUNT_OPTION
@json_option
@pass_connection
def events_tail(
    conn: Connection,
    types: tuple[str, ...],
    session_id: str | None,
    after: int | None,
    count: int | None,
    as_json: bool,
) -> None:
    """Print events as they are recorded (--json: JSON lines), until Ctrl-C or --count N."""
    api = review_api(conn)
    filters = {"types": list(types) or None, "session_id": session_id}
    start = _latest_seq(api, **filters) if after is None else after
    events = api.follow_events(after_seq=start, **filters)
    _follow(events, count, _json_line if as_json else _event_line)


def _latest_seq(api: ReviewAPI, **filters: Any) -> int:
    """The sequence number of the newest matching event (0 if none), so a tail without
    --after shows only what comes next."""
    latest, cursor = 0, None
    while True:
        page = api.list_events(cursor=cursor, limit=1000, **filters)
        latest = page.items[-1].seq if page.items else latest
        if (cursor := page.next_cursor) is None:
            return latest
