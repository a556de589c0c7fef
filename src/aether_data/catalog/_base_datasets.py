"""The part of the catalog contract that keeps dataset profiles by content id. What a profile
holds is the datasets layer's business; the catalog keeps it as a JSON mapping."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from aether_data.ids import ObjectId

__all__ = ["DatasetProfiles"]


class DatasetProfiles(ABC):
    """Profiles of dataset files, one per content id."""

    @abstractmethod
    def get_dataset_profile(self, content_id: ObjectId) -> dict[str, Any] | None:
        """The profile stored for the file with this content id, or None.

        Raises:
            Invalid: ``content_id`` is not an object id.
        """

    @abstractmethod
    def put_dataset_profile(self, content_id: ObjectId, profile: dict[str, Any]) -> None:
        """Keep ``profile`` for the file with this content id, in place of any kept before
        (a profile is a function of the content, so writers racing agree; a newer version of
        the profile replaces an older one). Idempotent.

        Raises:
            Invalid: ``content_id`` is not an object id, or ``profile`` is not a JSON mapping.
        """
