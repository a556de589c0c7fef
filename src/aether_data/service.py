"""The composition root: turns ``Settings`` into concrete backends. Only this module knows them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from aether_data.catalog import Catalog, SqlCatalog
from aether_data.errors import Invalid
from aether_data.settings import Settings
from aether_data.storage import LocalObjectStore, MemoryObjectStore, ObjectStore

__all__ = ["Services", "open_catalog", "open_services", "open_store"]


def open_store(settings: Settings) -> ObjectStore:
    """The object store named by ``settings.store_url``."""
    url = settings.store_url
    scheme = urlparse(url).scheme
    if scheme in ("", "file"):
        return LocalObjectStore(urlparse(url).path if scheme == "file" else url)
    if scheme == "memory":
        return MemoryObjectStore()
    if scheme == "s3":
        from aether_data.storage.s3 import S3ObjectStore  # noqa: PLC0415 - optional extra

        return S3ObjectStore(url, endpoint_url=settings.s3_endpoint_url, region=settings.s3_region)
    raise Invalid(
        f"unsupported object store URL {url!r}: use a folder, file://, s3:// or memory://"
    )


def open_catalog(settings: Settings) -> Catalog:
    """The catalog named by ``settings.catalog_url`` (migrated to the latest schema)."""
    return SqlCatalog(settings.catalog_url)


@dataclass
class Services:
    """The backends one process works with."""

    settings: Settings
    store: ObjectStore
    catalog: Catalog

    def close(self) -> None:
        """Close both backends."""
        self.catalog.close()
        self.store.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_services(settings: Settings) -> Services:
    """Open the store and the catalog of ``settings``."""
    store = open_store(settings)
    try:
        return Services(settings, store, open_catalog(settings))
    except BaseException:
        store.close()
        raise
