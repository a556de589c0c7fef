"""``/health`` and ``/metrics``: public, for load balancers and Prometheus."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response

from aether_data.api._auth import ServicesDep
from aether_data.api._metrics import Metrics
from aether_data.api._routes import PUBLIC, operation
from aether_data.errors import AetherError, Unavailable

__all__ = ["SystemController"]

_PROMETHEUS = "text/plain; version=0.0.4"


class SystemController(Controller):
    """Liveness and metrics."""

    path = "/"
    tags = ["system"]

    @operation("GET", "/health", scope=PUBLIC, summary="Liveness: the catalog answers")
    def health(self, services: ServicesDep) -> dict[str, str]:
        """``{"status": "ok"}`` once the catalog answered a query; a 503 problem otherwise."""
        try:
            services.tokens.any_active()
        except AetherError:
            raise
        except Exception as exc:
            raise Unavailable("the catalog does not answer") from exc
        return {"status": "ok"}

    @operation(
        "GET", "/metrics", scope=PUBLIC, summary="Prometheus metrics", media_type=_PROMETHEUS
    )
    async def metrics(self, request: Request[Any, Any, Any]) -> Response[str]:
        metrics: Metrics = request.app.state.metrics
        return Response(metrics.render(), media_type=_PROMETHEUS)
