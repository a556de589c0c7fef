"""Progress display for long work, shown only on a terminal (rich loads only then)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["byte_progress", "counter", "spinner"]


def _quiet(as_json: bool) -> bool:
    return as_json or not sys.stderr.isatty()


@contextmanager
def counter(label: str, as_json: bool = False) -> Iterator[Callable[[int], None]]:
    """Yield a ``tick(n)`` callback that counts items on a spinner line."""
    if _quiet(as_json):
        yield lambda _n: None
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn  # noqa: PLC0415

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed}"))
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda n: progress.advance(task, n)


@contextmanager
def byte_progress(
    label: str, total: int | None, as_json: bool = False
) -> Iterator[Callable[[int], None]]:
    """Yield an ``advance(nbytes)`` callback driving a byte progress bar."""
    if _quiet(as_json):
        yield lambda _n: None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn  # noqa: PLC0415

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


@contextmanager
def spinner(label: str, as_json: bool = False) -> Iterator[None]:
    """A spinner line while waiting for work done elsewhere."""
    if _quiet(as_json):
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn  # noqa: PLC0415

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), transient=True) as progress:
        progress.add_task(label, total=None)
        yield
