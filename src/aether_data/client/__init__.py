"""The HTTP client: ``AetherClient`` (sync) and ``AsyncAetherClient`` implement the
``WorkspaceAPI``, ``ReviewAPI`` (with its gates), ``DatasetsAPI`` and ``LintAPI`` protocols
against an Aether server, plus whoami, health and token admin."""

from aether_data.client._async import AsyncAetherClient
from aether_data.client._sync import DEFAULT_TIMEOUT, AetherClient

__all__ = ["DEFAULT_TIMEOUT", "AetherClient", "AsyncAetherClient"]
