"""Dataset profiles in ``SqlCatalog``: one row per content id, inserted once."""

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
        with self._write() as conn:
            conn.execute(self._insert_new(dataset_profiles, row))
