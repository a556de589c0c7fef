"""Object storage: the ``ObjectStore`` interface and its local and in-memory backends.

The S3 backend lives in ``aether_data.storage.s3`` and needs the ``s3`` extra.
"""

from aether_data.storage.base import BlobInfo, ObjectStat, ObjectStore
from aether_data.storage.local import LocalObjectStore
from aether_data.storage.memory import MemoryObjectStore

__all__ = ["BlobInfo", "LocalObjectStore", "MemoryObjectStore", "ObjectStat", "ObjectStore"]
