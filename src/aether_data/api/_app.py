"""``create_app``: the Litestar application over one ``Services``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import anyio.to_thread
from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from aether_data.api._auth import (
    TokenCache,
    auth_middleware,
    provide_review,
    provide_services,
    provide_workspace,
)
from aether_data.api._datasets import DatasetDiffController, DatasetsController
from aether_data.api._files import FilesController
from aether_data.api._gates import (
    AnnotationsController,
    ApprovalsController,
    ChecksController,
    PoliciesController,
)
from aether_data.api._lint import LintController
from aether_data.api._metrics import Metrics, metrics_middleware
from aether_data.api._problems import EXCEPTION_HANDLERS
from aether_data.api._review import (
    BusController,
    EventsController,
    SessionKvController,
    SourceKvController,
)
from aether_data.api._routes import BEARER
from aether_data.api._sessions import SessionsController
from aether_data.api._sources import ImportsController, SourcesController
from aether_data.api._system import SystemController
from aether_data.api._tokens import TokensController
from aether_data.errors import Invalid
from aether_data.service import Services, open_services
from aether_data.settings import Settings

__all__ = ["create_app"]


def _openapi() -> OpenAPIConfig:
    scheme = SecurityScheme(
        type="http",
        scheme="bearer",
        description="An API token: `Authorization: Bearer aet_<id>_<secret>`. Each operation "
        "names the scope it needs (`x-aether-scope`); `admin` grants every scope.",
    )
    return OpenAPIConfig(
        title="Aether Data",
        version="1",
        description="Sessions, files and sources of a data workspace. Errors are RFC 9457 "
        "problem+json documents.",
        path="/schema",
        components=Components(security_schemes={BEARER: scheme}),
        render_plugins=[SwaggerRenderPlugin(path="/"), JsonRenderPlugin()],
    )


def _thread_pool(size: int) -> Callable[[], None]:
    """A startup hook sizing the threads the short handlers share: the event loop's default
    executor (where Litestar runs sync handlers) and anyio's default limiter (which
    ``anyio.to_thread`` calls take from). Transfers run apart (``_streams.long_waits``). Few
    threads keep them from fighting over the interpreter (see docs/operations.md)."""
    if size < 1:
        raise Invalid(f"api_threads must be at least 1, not {size}")

    def size_pool() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = size
        executor = ThreadPoolExecutor(size, thread_name_prefix="aether-api")
        asyncio.get_running_loop().set_default_executor(executor)

    return size_pool


def create_app(
    settings: Settings, *, services: Services | None = None, token_cache_seconds: float = 2.0
) -> Litestar:
    """The HTTP API of ``settings``' store and catalog.

    Args:
        settings: Where the catalog and store live (used when ``services`` is None), and the
            request limits: ``max_json_bytes`` per JSON body, ``max_upload_bytes`` per
            uploaded file or archive (larger requests get 413); ``api_threads`` for the
            handlers' thread pool.
        services: Open services to serve (the caller closes them); None opens them from
            ``settings`` and closes them when the app shuts down.
        token_cache_seconds: How long a verified token is trusted without asking the catalog
            again (0: always ask). Revoking through this app takes effect at once; revoking
            elsewhere (the CLI, another replica) within this time.
    """
    owned = services is None
    services = open_services(settings) if services is None else services
    app = Litestar(
        route_handlers=[
            SessionsController,
            FilesController,
            SourcesController,
            ImportsController,
            TokensController,
            SystemController,
            SessionKvController,
            SourceKvController,
            BusController,
            EventsController,
            AnnotationsController,
            ApprovalsController,
            ChecksController,
            PoliciesController,
            DatasetsController,
            DatasetDiffController,
            LintController,
        ],
        dependencies={
            "services": Provide(provide_services, sync_to_thread=False),
            "ws": Provide(provide_workspace, sync_to_thread=False),
            "review": Provide(provide_review, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[metrics_middleware, auth_middleware],
        openapi_config=_openapi(),
        request_max_body_size=settings.max_json_bytes,
        on_startup=[_thread_pool(settings.api_threads)],
        on_shutdown=[services.close] if owned else [],
        debug=False,
        logging_config=None,  # the host process (uvicorn, aether serve, tests) owns logging
    )
    app.state.services, app.state.metrics = services, Metrics()
    app.state.token_cache = TokenCache(token_cache_seconds)
    app.state.upload_limit = settings.max_upload_bytes
    return app
