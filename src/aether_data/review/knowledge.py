"""Knowledge entries: small key/value records a session or a source carries for the people
and programs working on it (a pipeline's last run id, a reviewer's checklist, a model's
score). Each entry has a version, so read-modify-write is safe by compare-and-set."""

from __future__ import annotations

import unicodedata

from aether_data.catalog import Catalog, KvRecord, KvScope, Page
from aether_data.errors import Invalid, TooLarge

__all__ = ["MAX_KEY_CHARS", "MAX_VALUE_BYTES", "Knowledge"]

MAX_KEY_CHARS = 512
MAX_VALUE_BYTES = 1 << 20


def check_key(key: str, *, prefix: bool = False) -> str:
    """``key`` if it is a usable key (a prefix may be empty); ``Invalid`` otherwise."""
    what = "key prefix" if prefix else "key"
    if not isinstance(key, str):
        raise Invalid(f"a {what} is text, not {type(key).__name__}")
    if not prefix and not key.strip("/"):
        # Empty, or slashes alone (which would read as the listing route over HTTP).
        raise Invalid(f"a key needs a character other than '/', not {key!r}")
    if len(key) > MAX_KEY_CHARS:
        raise Invalid(f"a {what} has at most {MAX_KEY_CHARS} characters, not {len(key)}")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in key):
        raise Invalid(f"{what} {key!r} holds a control character")
    return key


class Knowledge:
    """Key/value entries per session and per source, with limits and compare-and-set."""

    def __init__(self, catalog: Catalog, *, max_value_bytes: int = MAX_VALUE_BYTES) -> None:
        self.catalog = catalog
        self.max_value_bytes = max_value_bytes

    def get(self, scope: KvScope, owner: str, key: str) -> KvRecord:
        """The entry; ``NotFound`` when there is none."""
        return self.catalog.get_kv(KvScope(scope), owner, check_key(key))

    def put(
        self,
        scope: KvScope,
        owner: str,
        key: str,
        value: bytes,
        *,
        author: str,
        tenant: str,
        expected_version: int | None = None,
    ) -> KvRecord:
        """Store ``value`` under ``key``.

        Args:
            expected_version: None writes whatever is there; 0 only creates (the key must be
                absent); n > 0 only replaces version n. Otherwise ``PreconditionFailed``.
        """
        if not isinstance(value, bytes | bytearray | memoryview):
            raise Invalid(f"a value is bytes, not {type(value).__name__}")
        if len(value) > self.max_value_bytes:
            raise TooLarge(
                f"the value of {key!r} has {len(value)} bytes; the limit is {self.max_value_bytes}"
            )
        if expected_version is not None and expected_version < 0:
            raise Invalid(f"expected_version must not be negative, not {expected_version}")
        return self.catalog.put_kv(
            KvScope(scope),
            owner,
            check_key(key),
            bytes(value),
            author=author,
            tenant=tenant,
            expected_version=expected_version,
        )

    def delete(
        self, scope: KvScope, owner: str, key: str, *, expected_version: int | None = None
    ) -> None:
        """Remove the entry (at ``expected_version`` when given)."""
        self.catalog.delete_kv(
            KvScope(scope), owner, check_key(key), expected_version=expected_version
        )

    def list(
        self,
        scope: KvScope,
        owner: str,
        *,
        prefix: str = "",
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page[KvRecord]:
        """Entries whose key starts with ``prefix``, by key, a page at a time."""
        return self.catalog.list_kv(
            KvScope(scope), owner, prefix=check_key(prefix, prefix=True), limit=limit, cursor=cursor
        )

    def delete_prefix(self, scope: KvScope, owner: str, prefix: str) -> int:
        """Remove every entry whose key starts with ``prefix``; returns how many."""
        return self.catalog.delete_kv_prefix(KvScope(scope), owner, check_key(prefix, prefix=True))
