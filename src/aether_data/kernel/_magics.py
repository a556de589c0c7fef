"""The kernel's state (session, DuckDB connection, cache, views) and its magics:
``%%aether_sql [NAME]`` and ``%aether diff|checkpoint|refresh|info``."""

from __future__ import annotations

import argparse
import functools
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from aether_data.datasets import DatasetFormat
from aether_data.errors import AetherError
from aether_data.kernel._binding import AetherSession, open_session
from aether_data.kernel._cache import DatasetCache
from aether_data.kernel._diff import CURRENT, render_diff
from aether_data.kernel._views import Views
from aether_data.settings import Settings

__all__ = ["AetherKernel", "AetherMagics"]


class AetherKernel:
    """What the extension gives a kernel: ``session``, ``con`` (DuckDB, one view per dataset
    file), ``cache`` (dataset copies by content hash) and ``views`` (name -> DatasetView)."""

    def __init__(self, session: AetherSession, memory_limit: str = "2GB") -> None:
        import duckdb  # noqa: PLC0415 - heavy; only a loaded extension needs it

        self.session = session
        self.cache = DatasetCache(session.cache_dir)
        self.con = duckdb.connect(":memory:")
        self.memory_limit = memory_limit
        self._views = Views(self.con)

    @classmethod
    def open(cls, settings: Settings, session_id: str | None) -> AetherKernel:
        """Bind to ``session_id`` of the workspace ``settings`` names and make the views."""
        cache_dir = settings.home / "cache" / "datasets"
        session = open_session(settings, session_id, cache_dir)
        try:
            kernel = cls(session, settings.dataset_memory_limit)
            kernel.refresh()
        except BaseException:
            session.close()
            raise
        return kernel

    @property
    def views(self) -> dict[str, Any]:
        """The dataset views by name."""
        return dict(self._views.views)

    @property
    def errors(self) -> dict[str, str]:
        """Why each dataset file without a view could not be read, by path."""
        return dict(self._views.errors)

    def refresh(self) -> None:
        """Read the session and its manifest again; make the views match its dataset files."""
        self.session.refresh()
        self._views.sync(self.session.manifest(), self._local)

    def _local(self, path: str, content_id: str, fmt: DatasetFormat) -> Path:
        def fetch(out: Any) -> None:
            self.session.api.download(self.session.id, path, out)

        return self.cache.get(content_id, fmt, fetch)

    def summary(self) -> str:
        """One line naming the session and its views."""
        info = self.session.info
        name = f" ({info.name})" if info.name else ""
        views = ", ".join(sorted(self._views.views)) or "none"
        return f"aether: session {self.session.id}{name}; dataset views: {views}"

    def close(self) -> None:
        """Close the DuckDB connection and the session's workspace."""
        self.con.close()
        self.session.close()


def clear_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Show project and DuckDB errors as one line (``UsageError``), not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import duckdb  # noqa: PLC0415

        try:
            return func(*args, **kwargs)
        except (AetherError, duckdb.Error) as exc:
            raise UsageError(f"aether: {exc}") from exc

    return wrapper


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _aether_parser() -> _Parser:
    parser = _Parser(prog="%aether", add_help=False)
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)
    diff = verbs.add_parser("diff", add_help=False)
    diff.add_argument("old")
    diff.add_argument("new", nargs="?", default=CURRENT)
    checkpoint = verbs.add_parser("checkpoint", add_help=False)
    checkpoint.add_argument("-m", "--message", default="")
    checkpoint.add_argument("--name")
    verbs.add_parser("refresh", add_help=False)
    verbs.add_parser("info", add_help=False)
    return parser


@magics_class
class AetherMagics(Magics):
    """``%%aether_sql`` and ``%aether``."""

    def __init__(self, shell: Any, kernel: AetherKernel) -> None:
        super().__init__(shell)
        self.kernel = kernel

    @cell_magic
    @clear_errors
    def aether_sql(self, line: str, cell: str) -> Any:
        """Run the cell's SQL on ``con`` (the session's dataset views); the result as a
        pandas DataFrame, also assigned to NAME when given: ``%%aether_sql NAME``."""
        target = line.strip()
        if target and not target.isidentifier():
            raise UsageError(f"%%aether_sql: {target!r} is not a Python name")
        relation = self.kernel.con.sql(cell)
        if relation is None:  # a statement without rows (CREATE, SET, ...)
            return None
        frame = relation.df()
        if target:
            self.shell.user_ns[target] = frame
        return frame

    @line_magic
    @clear_errors
    def aether(self, line: str) -> Any:
        """``%aether diff OLD [NEW] [-- PATH ...]``: HTML dataset diff (OLD and NEW: a
        checkpoint name, ``session:ID``, ``source:NAME[@REF]``; NEW defaults to ``current``,
        the session now). ``%aether checkpoint -m MSG [--name NAME]``. ``%aether refresh``:
        read the manifest again and remake the views. ``%aether info``: the session and views.
        """
        words = shlex.split(line)
        paths: list[str] = []
        if "--" in words:
            at = words.index("--")
            words, paths = words[:at], words[at + 1 :]
        args = _aether_parser().parse_args(words)
        return getattr(self, f"_{args.verb}")(args, paths)

    def _diff(self, args: argparse.Namespace, paths: list[str]) -> Any:
        from IPython.display import HTML  # noqa: PLC0415

        kernel = self.kernel
        body = render_diff(
            kernel.session,
            kernel.cache,
            args.old,
            args.new,
            paths,
            memory_limit=kernel.memory_limit,
        )
        return HTML(body)

    def _checkpoint(self, args: argparse.Namespace, paths: list[str]) -> None:
        _no_paths("checkpoint", paths)
        made = self.kernel.session.checkpoint(args.message, name=args.name)
        print(f"aether: checkpoint {made.name} of session {made.session}")

    def _refresh(self, args: argparse.Namespace, paths: list[str]) -> None:
        _no_paths("refresh", paths)
        self.kernel.refresh()
        report(self.kernel)

    def _info(self, args: argparse.Namespace, paths: list[str]) -> None:
        _no_paths("info", paths)
        report(self.kernel)
        for name, view in sorted(self.kernel.views.items()):
            print(f"  {name}: {view.path} ({view.format.value})")


def _no_paths(verb: str, paths: list[str]) -> None:
    if paths:
        raise UsageError(f"%aether {verb} takes no paths")


def report(kernel: AetherKernel) -> None:
    """Print the summary line, and one line per dataset file that got no view."""
    print(kernel.summary())
    for path, reason in sorted(kernel.errors.items()):
        print(f"aether: warning: no view of {path}: {reason}", file=sys.stderr)
