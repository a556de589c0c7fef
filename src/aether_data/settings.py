"""Settings: the only place (with the CLI) that reads the environment.

Everything else receives a ``Settings`` value. Environment variables:

* ``AETHER_HOME`` - the data folder (default ``~/.aether``).
* ``AETHER_CATALOG_URL`` - SQLAlchemy URL of the catalog (default: SQLite in the data folder).
* ``AETHER_STORE_URL`` - the object store: a folder path, ``file://``, ``s3://bucket/prefix`` or
  ``memory://`` (default: ``objects/`` in the data folder).
* ``AETHER_S3_ENDPOINT_URL``, ``AETHER_S3_REGION`` - for S3-compatible endpoints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """Where the catalog and the object store live."""

    home: Path
    catalog_url: str
    store_url: str
    s3_endpoint_url: str | None = None
    s3_region: str | None = None

    @classmethod
    def for_home(cls, home: str | os.PathLike[str], **overrides: str | None) -> Settings:
        """Embedded defaults under ``home``: SQLite catalog and local object folder."""
        root = Path(home).expanduser().absolute()
        values: dict = {
            "catalog_url": f"sqlite:///{root / 'catalog.db'}",
            "store_url": str(root / "objects"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(home=root, **values)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from the environment (``os.environ`` unless given)."""
        env = os.environ if environ is None else environ
        return cls.for_home(
            env.get("AETHER_HOME") or Path.home() / ".aether",
            catalog_url=env.get("AETHER_CATALOG_URL") or None,
            store_url=env.get("AETHER_STORE_URL") or None,
            s3_endpoint_url=env.get("AETHER_S3_ENDPOINT_URL") or None,
            s3_region=env.get("AETHER_S3_REGION") or None,
        )
