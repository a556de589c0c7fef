"""The sans-IO core of the clients: what a call sends, and how a reply becomes a value or an error.

Every API method is a *plan*: a generator that yields ``Call`` (send this request, give me the
``Reply``) or ``Sleep`` (wait, then carry on) and returns the method's value. The sync and the
async client only differ in how they perform those two steps, so request building, decoding,
cursor following and polling exist once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, TypeVar
from urllib.parse import quote

import msgspec

from aether_data.errors import AetherError, Invalid, Unavailable
from aether_data.wire import PROBLEM_CONTENT_TYPE, Problem, error_from_problem

__all__ = [
    "PIECE",
    "Call",
    "Plan",
    "Reply",
    "Sleep",
    "decode",
    "error_of",
    "file_url",
    "json_call",
    "pieces",
    "reply_of",
    "segment",
    "signature_with_self",
    "unreachable",
]

T = TypeVar("T")

PIECE = 1 << 20
"""Streams go over the wire in pieces of this many bytes; nothing is read whole."""


@dataclass(frozen=True, slots=True)
class Call:
    """One HTTP request a plan wants sent.

    ``json`` is a request struct (encoded with msgspec); ``body`` raw bytes or a stream sent in
    ``PIECE``-sized pieces. A successful response body goes to ``sink`` when one is given.
    Statuses in ``accept`` are handed back to the plan instead of raising.
    """

    method: str
    url: str
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    body: bytes | BinaryIO | None = None
    sink: BinaryIO | None = None
    accept: tuple[int, ...] = ()

    def query(self) -> dict[str, Any]:
        """The query parameters without the unset ones, booleans as ``true``/``false``."""
        return {k: _query_value(v) for k, v in self.params.items() if v is not None}

    def request_headers(self) -> dict[str, str]:
        """Headers including the content type of the body."""
        headers = dict(self.headers)
        if self.json is not None:
            headers.setdefault("Content-Type", "application/json")
        elif self.body is not None:
            headers.setdefault("Content-Type", "application/octet-stream")
        return headers

    def content(self) -> bytes | BinaryIO | None:
        """The body: encoded JSON, bytes, or the stream to send piece by piece."""
        if self.json is not None:
            return msgspec.json.encode(self.json)
        return self.body


@dataclass(frozen=True, slots=True)
class Reply:
    """What came back: the body is empty when it was streamed into the call's sink."""

    status: int
    headers: Mapping[str, str]
    content: bytes = b""
    received: int = 0


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait this long before the plan carries on (polling)."""

    seconds: float


Plan = Generator[Call | Sleep, Reply | None, T]


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def segment(text: str) -> str:
    """One path segment (an id or a name), percent-encoded whole (``/`` included)."""
    if not text:
        raise Invalid("an id, name or path component may not be empty")
    if text in (".", ".."):
        return text.replace(".", "%2E")  # else URL normalisation would resolve it away
    return quote(text, safe="")


def file_url(session_id: str, route: str, path: str) -> str:
    """``/v1/sessions/{id}/{route}/{path}`` with each path segment encoded on its own."""
    if path in ("", "/"):
        raise Invalid("the path is empty (the session root is not a file)")
    inner = path[:-1] if path.endswith("/") else path  # one trailing slash is tolerated
    encoded = "/".join(_path_segment(part) for part in inner.split("/"))
    return f"/v1/sessions/{segment(session_id)}/{route}/{encoded}"


def _path_segment(part: str) -> str:
    if part == "":
        # The server would never see an empty segment (a//b, /abs): say why here.
        raise Invalid("a path may not be absolute or hold empty components ('a//b')")
    return segment(part)


def json_call(method: str, url: str, type_: type[T], **call: Any) -> Plan[T]:
    """Send one request and decode its JSON reply as ``type_``."""
    reply = yield Call(method, url, **call)
    assert reply is not None
    return decode(reply, type_)


def decode(reply: Reply, type_: type[T]) -> T:
    """The reply's JSON body as ``type_``; a reply we cannot read is the server's fault."""
    try:
        return msgspec.json.decode(reply.content, type=type_)
    except msgspec.DecodeError as exc:
        raise Unavailable(f"the server sent an unreadable {type_.__name__}: {exc}") from exc


def error_of(status: int, headers: Mapping[str, str], content: bytes, url: str) -> AetherError:
    """The exception an error response stands for (problem+json, or by status alone)."""
    kind = headers.get("content-type", "").split(";")[0].strip()
    if kind in (PROBLEM_CONTENT_TYPE, "application/json"):
        try:
            return error_from_problem(msgspec.json.decode(content, type=Problem))
        except msgspec.DecodeError:
            pass  # not a problem document after all: fall back to the status
    text = content[:200].decode("utf-8", "replace").strip()
    if status >= 500:  # a proxy or a crashed server: never "corrupt data", which is also 500
        return Unavailable(f"server error {status} from {url}: {text or 'no details'}")
    problem = Problem(type="about:blank", title=f"HTTP {status}", status=status, detail=text)
    error = error_from_problem(problem)
    if status == 404 and not text:
        return type(error)(f"no such route: {url}")
    return error


def pieces(stream: BinaryIO) -> Iterator[bytes]:
    """Read ``stream`` in ``PIECE``-sized pieces until it ends."""
    while piece := stream.read(PIECE):
        yield piece


def reply_of(
    call: Call, url: str, status: int, headers: Mapping[str, str], content: bytes
) -> Reply:
    """The reply to hand to the plan, or the error the response stands for."""
    if status >= 400 and status not in call.accept:
        raise error_of(status, headers, content, url)
    return Reply(status, headers, content)


def unreachable(base_url: str, exc: Exception) -> Unavailable:
    """The error for a server that could not be reached (or stopped answering)."""
    reason = str(exc) or type(exc).__name__
    return Unavailable(f"cannot reach the Aether server at {base_url}: {reason}")


def signature_with_self(plan: Callable[..., Any]) -> inspect.Signature:
    """The plan's signature with ``self`` first, for the client method made from it (so
    ``inspect.signature`` of a bound method drops ``self``, not the plan's first argument)."""
    signature = inspect.signature(plan)
    me = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return signature.replace(
        parameters=[me, *signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )
