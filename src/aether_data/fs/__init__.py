"""fsspec for sessions: ``aether://SESSION/path`` for pandas, pyarrow, DuckDB and polars.

Importing this package registers the ``aether`` protocol with fsspec (the package's entry
point does the same without the import).
"""

import fsspec

from aether_data.fs._file import AetherBufferedFile
from aether_data.fs.filesystem import AetherFileSystem

__all__ = ["AetherBufferedFile", "AetherFileSystem"]

fsspec.register_implementation("aether", AetherFileSystem, clobber=True)
