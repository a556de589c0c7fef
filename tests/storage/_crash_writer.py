"""A writer for the crash test: stores objects and reports each one once it is durable.

Usage: python _crash_writer.py STORE_DIR FIRST COUNT
Prints "<seed> <object id>" after each put returns.
"""

from __future__ import annotations

import random
import sys

from aether_data.objects import CHUNKING_THRESHOLD
from aether_data.storage import LocalObjectStore


def payload(seed: int) -> bytes:
    """The deterministic content of object number ``seed``."""
    rnd = random.Random(seed)
    if seed % 97 == 0:  # now and then a chunked file
        return rnd.randbytes(CHUNKING_THRESHOLD + rnd.randrange(4 << 20))
    return rnd.randbytes(rnd.randrange(1, 64 << 10))


def main() -> None:
    store = LocalObjectStore(sys.argv[1])
    first, count = int(sys.argv[2]), int(sys.argv[3])
    for seed in range(first, first + count):
        oid = store.put_bytes(payload(seed))
        sys.stdout.write(f"{seed} {oid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
