"""Prometheus metrics kept by hand: request counts by route template, method and status, a
duration histogram and bytes in / out by route. Everything runs on the event loop thread, so
plain counters need no lock."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["Metrics", "metrics_middleware"]

_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{key}="{_label(value)}"' for key, value in labels.items()) + "}"


@dataclass
class _Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * len(_BUCKETS))
    total: float = 0.0
    count: int = 0

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(_BUCKETS):
            if seconds <= bound:
                self.buckets[i] += 1
        self.total += seconds
        self.count += 1


@dataclass
class Metrics:
    """The counters of one server process."""

    requests: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    durations: dict[str, _Histogram] = field(default_factory=dict)
    bytes_in: Counter[str] = field(default_factory=Counter)
    bytes_out: Counter[str] = field(default_factory=Counter)

    def observe(
        self, method: str, route: str, status: int, *, seconds: float, received: int, sent: int
    ) -> None:
        """Count one finished request."""
        self.requests[(method, route, str(status))] += 1
        self.durations.setdefault(route, _Histogram()).observe(seconds)
        self.bytes_in[route] += received
        self.bytes_out[route] += sent

    def render(self) -> str:
        """The Prometheus text exposition (format 0.0.4)."""
        return "\n".join(self._lines()) + "\n"

    def _lines(self) -> Iterator[str]:
        yield "# HELP aether_http_requests_total HTTP requests by route, method and status."
        yield "# TYPE aether_http_requests_total counter"
        for (method, route, status), count in sorted(self.requests.items()):
            labels = _labels(method=method, route=route, status=status)
            yield f"aether_http_requests_total{labels} {count}"
        yield from self._histogram_lines()
        for name, counter, what in (
            ("aether_http_request_bytes_total", self.bytes_in, "Request body bytes received"),
            ("aether_http_response_bytes_total", self.bytes_out, "Response body bytes sent"),
        ):
            yield f"# HELP {name} {what}, by route."
            yield f"# TYPE {name} counter"
            for route, count in sorted(counter.items()):
                yield f"{name}{_labels(route=route)} {count}"

    def _histogram_lines(self) -> Iterator[str]:
        name = "aether_http_request_duration_seconds"
        yield f"# HELP {name} Time from request start to the last response byte, by route."
        yield f"# TYPE {name} histogram"
        for route, histogram in sorted(self.durations.items()):
            for bound, count in zip(_BUCKETS, histogram.buckets, strict=True):
                yield f"{name}_bucket{_labels(route=route, le=repr(bound))} {count}"
            yield f"{name}_bucket{_labels(route=route, le='+Inf')} {histogram.count}"
            yield f"{name}_sum{_labels(route=route)} {histogram.total}"
            yield f"{name}_count{_labels(route=route)} {histogram.count}"


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    """ASGI middleware counting every routed HTTP request into ``app.state.metrics``."""

    async def measured(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started, seen = time.perf_counter(), {"in": 0, "out": 0, "status": 500}

        async def counting_receive() -> Message:
            message = await receive()
            seen["in"] += len(message.get("body", b""))
            return message

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["out"] += len(message.get("body", b""))
            await send(message)

        try:
            await app(scope, counting_receive, counting_send)
        finally:
            metrics: Metrics = scope["litestar_app"].state.metrics
            route = scope.get("path_template") or "unmatched"
            elapsed = time.perf_counter() - started
            metrics.observe(
                scope["method"],
                route,
                seen["status"],
                seconds=elapsed,
                received=seen["in"],
                sent=seen["out"],
            )

    return measured
