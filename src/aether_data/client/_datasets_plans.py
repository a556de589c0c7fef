"""One plan per method of ``DatasetsAPI``. The contract is documented once, on
``aether_data.wire.datasets``; the docstrings here only name the route."""

from __future__ import annotations

from aether_data.client._calls import Plan, file_url, json_call
from aether_data.wire.datasets import DatasetProfile

# Every plan below; the clients turn each into a method of the same name.
__all__ = ["inspect_dataset"]


def inspect_dataset(session_id: str, path: str) -> Plan[DatasetProfile]:
    """``GET /v1/sessions/{id}/datasets/{path}``."""
    url = file_url(session_id, "datasets", path)
    return (yield from json_call("GET", url, DatasetProfile))
