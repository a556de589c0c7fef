"""Review and coordination records attached to sessions and sources: knowledge entries
(key/value), the audit log of events, and the message bus.

Domain code over the catalog: it validates input, applies limits and builds the behaviour
(globs, replay, following) that the catalog's plain rows do not know. Tenancy and the
existence of the owning session or source are the caller's to check (the service layer).
"""

from __future__ import annotations

from aether_data.review.bus import Bus, BusReader, topic_matches
from aether_data.review.events import Events
from aether_data.review.knowledge import Knowledge

__all__ = ["Bus", "BusReader", "Events", "Knowledge", "topic_matches"]
