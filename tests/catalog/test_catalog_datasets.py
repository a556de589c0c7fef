"""Catalog conformance for dataset profiles kept by content id, on SQLite and PostgreSQL via
``catalog``."""

from __future__ import annotations

from typing import Any

import pytest

from aether_data.catalog import SqlCatalog
from aether_data.errors import Invalid
from aether_data.ids import object_id_of

CONTENT = object_id_of(b"id,n\n1,2\n")
PROFILE: dict[str, Any] = {
    "version": 1,
    "format": "csv",
    "row_count": 1,
    "columns": [{"name": "id", "type": "BIGINT", "min": 1, "max": 1, "null_count": 0}],
    "preview": [[1, 2]],
    "dialect": {"delimiter": ",", "header": True},
}


def test_put_then_get_round_trips(catalog: SqlCatalog) -> None:
    assert catalog.get_dataset_profile(CONTENT) is None
    catalog.put_dataset_profile(CONTENT, PROFILE)
    assert catalog.get_dataset_profile(CONTENT) == PROFILE
    assert catalog.get_dataset_profile(object_id_of(b"other")) is None


def test_put_is_idempotent_and_replaces(catalog: SqlCatalog) -> None:
    catalog.put_dataset_profile(CONTENT, PROFILE)
    catalog.put_dataset_profile(CONTENT, PROFILE)
    assert catalog.get_dataset_profile(CONTENT) == PROFILE
    newer = {**PROFILE, "version": 2}
    catalog.put_dataset_profile(CONTENT, newer)
    assert catalog.get_dataset_profile(CONTENT) == newer


def test_concurrent_puts_of_one_profile(catalog: SqlCatalog, race) -> None:
    results = race(lambda _: catalog.put_dataset_profile(CONTENT, PROFILE))
    assert results == [None] * len(results)
    assert catalog.get_dataset_profile(CONTENT) == PROFILE


def test_profiles_are_seen_by_other_catalogs(catalog: SqlCatalog, open_again) -> None:
    catalog.put_dataset_profile(CONTENT, PROFILE)
    assert open_again().get_dataset_profile(CONTENT) == PROFILE


@pytest.mark.parametrize("content_id", ["", "abc", CONTENT.upper(), "../" + CONTENT[3:]])
def test_bad_content_ids_are_invalid(catalog: SqlCatalog, content_id: str) -> None:
    with pytest.raises(Invalid):
        catalog.get_dataset_profile(content_id)  # type: ignore[arg-type]
    with pytest.raises(Invalid):
        catalog.put_dataset_profile(content_id, PROFILE)  # type: ignore[arg-type]


@pytest.mark.parametrize("profile", [None, ["a"], {"x": float("nan")}, {"x": object()}, {1: 2}])
def test_bad_profiles_are_invalid(catalog: SqlCatalog, profile: Any) -> None:
    with pytest.raises(Invalid):
        catalog.put_dataset_profile(CONTENT, profile)
    assert catalog.get_dataset_profile(CONTENT) is None
