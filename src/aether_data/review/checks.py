"""Checks: programs that judge a session's tree before it is committed to a protected branch.

A check has a ``name`` and a ``run(tree)`` that returns a ``CheckResult``. They come from three
places, looked up by name in a ``CheckRegistry``:

* built in: ``no-conflict-markers``, ``valid-json`` (the service adds ``dataset-schema``; the
  SQL lint check comes with the SQL linter);
* Python entry points in the group ``aether_data.checks``: each names a ``Check`` object, or a
  class or function that returns one when called without arguments;
* commands from the settings (``[checks]`` in ``config.toml``): run with the tree exported into
  an empty temporary folder as their working directory; exit status 0 passes.

Every run is kept as a ``CheckRun`` of the session (``CheckRuns``), so a reviewer sees the
report of a check that stopped a commit.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from aether_data.catalog import Catalog, ReviewKind, ReviewRecord
from aether_data.errors import Invalid
from aether_data.ids import ObjectId, SessionId
from aether_data.objects.tree import EntryKind
from aether_data.storage import ObjectStore
from aether_data.workspace.export import export_folder, iter_tree

from ._records import all_records, new_id

__all__ = [
    "ENTRY_POINT_GROUP",
    "Check",
    "CheckRegistry",
    "CheckResult",
    "CheckRun",
    "CheckRuns",
    "CheckStatus",
    "CommandCheck",
    "Finding",
    "TreeFiles",
    "run_check",
]

ENTRY_POINT_GROUP = "aether_data.checks"
_MAX_OUTPUT = 64 * 1024
_MAX_FINDINGS = 200
_TEXT_LIMIT = 16 << 20  # built-in checks skip files bigger than this


class CheckStatus(StrEnum):
    """``passed``; ``failed`` (the tree does not pass); ``error`` (the check itself broke)."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a check found, at a path and line when it has one."""

    message: str
    path: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What a check says about a tree: a status, a one-line summary, findings and output."""

    status: CheckStatus
    summary: str
    findings: tuple[Finding, ...] = ()
    output: str = ""

    @classmethod
    def of_findings(cls, findings: Iterable[Finding], what: str) -> CheckResult:
        """Passed without findings, else failed with ``N <what>`` as the summary."""
        found = tuple(findings)
        if not found:
            return cls(CheckStatus.PASSED, f"no {what}")
        return cls(CheckStatus.FAILED, f"{len(found)} {what}", found[:_MAX_FINDINGS])


class TreeFiles:
    """The tree a check judges: its files, their bytes, or all of it as a local folder; and
    ``base``, the tree the session started from."""

    def __init__(
        self, store: ObjectStore, tree_id: ObjectId, base_tree_id: ObjectId | None = None
    ) -> None:
        self.store = store
        self.tree_id = tree_id
        self.base_tree_id = base_tree_id
        self._ids: dict[str, tuple[ObjectId, int]] | None = None

    @property
    def base(self) -> TreeFiles | None:
        """The tree the session started from (what a check compares with), when known."""
        if self.base_tree_id is None:
            return None
        return TreeFiles(self.store, self.base_tree_id)

    def file_id(self, path: str) -> ObjectId | None:
        """The content id of the file at ``path``; None when there is none."""
        found = self._files().get(path)
        return found[0] if found else None

    def _files(self) -> dict[str, tuple[ObjectId, int]]:
        if self._ids is None:
            self._ids = {
                path: (entry.id, entry.size)
                for path, entry in iter_tree(self.store, self.tree_id)
                if entry.kind in (EntryKind.FILE, EntryKind.EXEC)
            }
        return self._ids

    def files(self) -> Iterator[tuple[str, int]]:
        """``(path, size)`` of every regular file, in tree order."""
        for path, (_, size) in self._files().items():
            yield path, size

    def read(self, path: str) -> bytes:
        """The content of the file at ``path``."""
        try:
            oid, _ = self._files()[path]
        except KeyError:
            raise Invalid(f"no file {path!r} in tree {self.tree_id}") from None
        return self.store.read_bytes(oid)

    def export(self, folder: Path) -> None:
        """Write the tree into ``folder`` (absent or empty)."""
        export_folder(self.store, self.tree_id, folder)


@runtime_checkable
class Check(Protocol):
    """Judges a tree; a raised exception counts as status ``error``."""

    name: str
    description: str

    def run(self, tree: TreeFiles) -> CheckResult:
        """Judge the tree."""
        ...


# ------------------------------------------------------------------------------ built-ins
class _TextCheck(ABC):
    """A built-in check that reads the text files matching ``suffixes`` (all when empty)."""

    suffixes: tuple[str, ...] = ()
    what = "problems"

    def run(self, tree: TreeFiles) -> CheckResult:
        findings: list[Finding] = []
        for path, size in tree.files():
            if size <= _TEXT_LIMIT and (not self.suffixes or path.endswith(self.suffixes)):
                findings.extend(self.inspect(path, tree.read(path)))
        return CheckResult.of_findings(findings, self.what)

    @abstractmethod
    def inspect(self, path: str, content: bytes) -> Iterator[Finding]:
        """The findings in one file's content."""


class NoConflictMarkers(_TextCheck):
    """Fails on lines a merge left behind: ``<<<<<<<``, ``=======`` between them, ``>>>>>>>``."""

    name = "no-conflict-markers"
    description = "no merge conflict markers (<<<<<<< / >>>>>>>) in text files"
    what = "conflict markers"

    def inspect(self, path: str, content: bytes) -> Iterator[Finding]:
        if b"\0" in content[:8192]:
            return  # binary
        for number, line in enumerate(content.splitlines(), 1):
            if line.startswith((b"<<<<<<< ", b">>>>>>> ")) or line in (b"<<<<<<<", b">>>>>>>"):
                yield Finding("merge conflict marker", path, number)


class ValidJson(_TextCheck):
    """Fails on ``.json`` files and notebooks (``.ipynb``) that do not parse as JSON."""

    name = "valid-json"
    description = "every .json file and notebook (.ipynb) parses as JSON"
    suffixes = (".json", ".ipynb")
    what = "invalid JSON files"

    def inspect(self, path: str, content: bytes) -> Iterator[Finding]:
        try:
            json.loads(content)
        except ValueError as exc:
            yield Finding(f"not JSON: {exc}", path, getattr(exc, "lineno", None))


BUILT_IN: tuple[Check, ...] = (NoConflictMarkers(), ValidJson())


# -------------------------------------------------------------------------------- commands
@dataclass(frozen=True, slots=True)
class CommandCheck:
    """Runs ``command`` in a folder holding the tree; exit status 0 passes."""

    name: str
    command: str
    timeout: float = 600

    @property
    def description(self) -> str:
        return f"command: {self.command}"

    def run(self, tree: TreeFiles) -> CheckResult:
        argv = shlex.split(self.command)
        with tempfile.TemporaryDirectory(prefix="aether-check-") as scratch:
            folder = Path(scratch) / "tree"
            tree.export(folder)
            try:
                done = subprocess.run(
                    argv,
                    cwd=folder,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=self.timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return CheckResult(CheckStatus.ERROR, f"timed out after {self.timeout:g} s")
            except OSError as exc:
                return CheckResult(CheckStatus.ERROR, f"could not run {argv[0]!r}: {exc}")
        output = _tail((done.stdout + done.stderr).decode(errors="replace"))
        if done.returncode == 0:
            return CheckResult(CheckStatus.PASSED, "exit status 0", output=output)
        return CheckResult(CheckStatus.FAILED, f"exit status {done.returncode}", output=output)


def _tail(text: str) -> str:
    return text if len(text) <= _MAX_OUTPUT else "...\n" + text[-_MAX_OUTPUT:]


# -------------------------------------------------------------------------------- registry
class CheckRegistry:
    """Checks by name: built-ins, then entry points, then commands (a later one with the same
    name replaces an earlier one)."""

    def __init__(
        self,
        commands: Mapping[str, str] | None = None,
        *,
        timeout: float = 600,
        extra: Iterable[Check] = (),
        load_entry_points: bool = True,
    ) -> None:
        self._commands = dict(commands or {})
        self._timeout = timeout
        self._extra = tuple(extra)
        self._load_entry_points = load_entry_points

    @cached_property
    def _checks(self) -> dict[str, Check]:
        # Built lazily: scanning entry points costs each process's first commit otherwise,
        # even to an unprotected branch.
        checks: dict[str, Check] = {c.name: c for c in BUILT_IN}
        if self._load_entry_points:
            checks |= {c.name: c for c in _entry_point_checks()}
        checks |= {c.name: c for c in self._extra}
        for name, command in self._commands.items():
            checks[name] = CommandCheck(name, command, self._timeout)
        return checks

    def names(self) -> list[str]:
        """Every known check's name, sorted."""
        return sorted(self._checks)

    def all(self) -> list[Check]:
        """Every known check, by name."""
        return [self._checks[n] for n in self.names()]

    def get(self, name: str) -> Check:
        """The check called ``name``; ``Invalid`` (listing the known ones) if none is."""
        try:
            return self._checks[name]
        except KeyError:
            known = ", ".join(self.names())
            raise Invalid(f"no check named {name!r}; known checks: {known}") from None


def _entry_point_checks() -> Iterator[Check]:
    from importlib.metadata import entry_points  # noqa: PLC0415 - costs a start-up otherwise

    for point in entry_points(group=ENTRY_POINT_GROUP):
        loaded = point.load()
        # A class has a check's attributes too: make one of it.
        is_check = isinstance(loaded, Check) and not isinstance(loaded, type)
        check = loaded if is_check else loaded()
        if not isinstance(check, Check):
            raise Invalid(f"entry point {point.name!r} ({point.value}) is not a check")
        yield check


def run_check(check: Check, tree: TreeFiles) -> CheckResult:
    """Run ``check``; whatever it raises becomes an ``error`` result naming the exception."""
    try:
        result = check.run(tree)
    except Exception as exc:  # a broken check is reported, not propagated
        return CheckResult(CheckStatus.ERROR, f"the check raised {type(exc).__name__}: {exc}")
    if not isinstance(result, CheckResult):
        return CheckResult(CheckStatus.ERROR, f"the check returned {type(result).__name__}")
    return result


# ------------------------------------------------------------------------------ check runs
@dataclass(frozen=True, slots=True)
class CheckRun:
    """A stored result of one check on one tree of a session."""

    id: str
    session_id: str
    check: str
    tree_id: str
    status: CheckStatus
    summary: str
    findings: tuple[Finding, ...] = ()
    output: str = ""
    actor: str = ""
    created_at: datetime | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def _check_run(record: ReviewRecord) -> CheckRun:
    data = record.data
    return CheckRun(
        id=record.id,
        session_id=record.session_id or "",
        check=data["check"],
        tree_id=data["tree"],
        status=CheckStatus(record.state),
        summary=data["summary"],
        findings=tuple(Finding(**f) for f in data.get("findings", ())),
        output=data.get("output", ""),
        actor=record.author,
        created_at=record.created_at,
    )


class CheckRuns:
    """The stored results of checks on sessions."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def record(
        self,
        tenant: str,
        session_id: SessionId,
        tree_id: ObjectId,
        name: str,
        result: CheckResult,
        *,
        actor: str,
    ) -> CheckRun:
        """Keep ``result`` of check ``name`` on the session's tree ``tree_id``."""
        findings = [{"message": f.message, "path": f.path, "line": f.line} for f in result.findings]
        data = {"check": name, "tree": tree_id, "summary": result.summary}
        data |= {"findings": findings, "output": result.output}
        record = ReviewRecord(
            id=new_id("chk"),
            kind=ReviewKind.CHECK_RUN,
            tenant=tenant,
            state=result.status,
            author=actor,
            data=data,
            session_id=session_id,
        )
        return _check_run(self.catalog.create_review(record))

    def list(self, session_id: SessionId, *, tree_id: str | None = None) -> list[CheckRun]:
        """The session's check runs, oldest first; only those on ``tree_id`` when given."""
        runs = map(
            _check_run, all_records(self.catalog, ReviewKind.CHECK_RUN, session_id=session_id)
        )
        return [r for r in runs if tree_id in (None, r.tree_id)]
