"""Values DuckDB and pyarrow hand back, made JSON-able for profiles: numbers stay numbers,
times become ISO 8601 text, and anything else becomes short text."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

__all__ = ["MAX_TEXT", "jsonable"]

MAX_TEXT = 256
"""Characters of text a profile keeps per value; longer text is cut and ends in ``…``."""


def jsonable(value: Any) -> Any:
    """``value`` as JSON can hold it: None, bool, int, finite float, text, lists and
    objects of those. NaN and infinities become ``"nan"``, ``"inf"`` and ``"-inf"``."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _clip(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return _clip(bytes(value).hex())
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, timedelta):
        return str(value)
    return _clip(str(value))  # Decimal, UUID, ...: their text is exact


def _clip(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
