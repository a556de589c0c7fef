"""fsspec's own abstract test suites (copy, get, put, open, pipe) on ``AetherFileSystem``.

Every test of the suites runs; none is excluded. The embedded workspace runs them all (one
workspace per module, objects and catalog in memory, a fresh session per test, to keep the
~140 tests quick); over HTTP only the open and pipe suites run: the copy/get/put suites
exercise fsspec's path expansion, which is the same code whichever API answers, and would add
a minute (tests/fs/test_fs_filesystem.py runs its own tests on both).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _aether_fs import FAST, open_api
from fsspec.tests.abstract import (
    AbstractCopyTests,
    AbstractFixtures,
    AbstractGetTests,
    AbstractOpenTests,
    AbstractPipeTests,
    AbstractPutTests,
)

from aether_data.fs import AetherFileSystem
from aether_data.service import open_services
from aether_data.settings import Settings
from aether_data.wire import WorkspaceAPI


@pytest.fixture(scope="module")
def shared_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkspaceAPI]:
    """One embedded workspace for the module: each test works in a session of its own."""
    with open_services(Settings.for_home(tmp_path_factory.mktemp("abstract"), **FAST)) as services:
        yield services.workspace()


class AetherFixtures(AbstractFixtures):
    """The fixtures fsspec's suites need: ``fs``, ``fs_path`` (a fresh session's root) and a
    ``/`` joiner."""

    @pytest.fixture
    def fs(self, shared_api: WorkspaceAPI) -> AetherFileSystem:
        return AetherFileSystem(api=shared_api, skip_instance_cache=True)

    @pytest.fixture
    def fs_path(self, fs: AetherFileSystem) -> str:
        return fs.api.create_session(name="fsspec-abstract").id

    @pytest.fixture
    def fs_join(self) -> Callable[..., str]:
        return posixpath.join


class BothFixtures(AetherFixtures):
    """The same, once embedded and once over HTTP."""

    @pytest.fixture(params=["embedded", "http"])
    def fs(  # type: ignore[override]
        self, request: pytest.FixtureRequest, shared_api: WorkspaceAPI
    ) -> Iterator[AetherFileSystem]:
        if request.param == "embedded":
            yield AetherFileSystem(api=shared_api, skip_instance_cache=True)
            return
        for api in open_api("http", request, Path()):
            yield AetherFileSystem(api=api, skip_instance_cache=True)


class TestCopy(AetherFixtures, AbstractCopyTests):
    pass


class TestGet(AetherFixtures, AbstractGetTests):
    pass


class TestPut(AetherFixtures, AbstractPutTests):
    pass


class TestOpen(BothFixtures, AbstractOpenTests):
    pass


class TestPipe(BothFixtures, AbstractPipeTests):
    pass
