"""Dataset profiles in ``SqlCatalog``: one row per content id."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from aether_data.errors import Invalid
from aether_data.ids import ObjectId

from . import _checks as check
from ._schema import dataset_profiles
from ._sql_base import SqlBase


class SqlDatasetProfiles(SqlBase):
    """Profiles as rows of ``dataset_profiles``."""

    def get_dataset_profile(self, content_id: ObjectId) -> dict[str, Any] | None:
        c = dataset_profiles.c
        query = select(c.profile).where(c.content_id == check.object_id(content_id))
        with self._read() as conn:
            text = conn.execute(query).scalar()
        return None if text is None else json.loads(text)

    def put_dataset_profile(self, content_id: ObjectId, profile: dict[str, Any]) -> None:
        if not isinstance(profile, Mapping):
            raise Invalid(f"a dataset profile is a mapping, not {type(profile).__name__}")
        row = {
            "content_id": check.object_id(content_id),
            "profile": check.metadata(profile, "dataset profile"),
            "created_at": self._micros(),
        }
        upsert = self._insert(dataset_profiles).values(row)
        upsert = upsert.on_conflict_do_update(
            index_elements=[dataset_profiles.c.content_id],
            set_={"profile": upsert.excluded.profile, "created_at": upsert.excluded.created_at},
        )
        with self._write() as conn:
            conn.execute(upsert)
