"""Run jupyter_server's own contents tests (copied verbatim, see README.md) against
``AetherContentsManager`` over an embedded session."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

import jupyter_server
import pytest
from nbformat import writes
from nbformat.v4 import new_notebook

from aether_jupyter import AetherContentsManager

UPSTREAM_VERSION = "2.21.1"
HERE = Path(__file__).parent

_FILE_MANAGER = "builds a FileContentsManager on a local root_dir (os paths, symlinks, permissions)"
_CHECKS_DISK = "checks the created file on local disk (pathlib.Path(contents_dir / path).is_file())"
_OS_TIMES = "reads or fakes the local file's stat times (os.utime / os.lstat of _get_os_path)"
_IS_HIDDEN = (
    "asserts the manager consults jupyter_core's is_hidden, which stats local files (sessions "
    "decide hidden-ness from names alone)"
)

LOCAL_DISK: dict[str, str] = {
    # test_manager.py
    "test_manager.py::test_root_dir": _FILE_MANAGER,
    "test_manager.py::test_missing_root_dir": _FILE_MANAGER,
    "test_manager.py::test_invalid_root_dir": _FILE_MANAGER,
    "test_manager.py::test_get_os_path": _FILE_MANAGER,
    "test_manager.py::test_get_os_path_posix": _FILE_MANAGER,
    "test_manager.py::test_checkpoint_subdir": _FILE_MANAGER,
    "test_manager.py::test_bad_symlink": _FILE_MANAGER,
    "test_manager.py::test_recursive_symlink": _FILE_MANAGER,
    "test_manager.py::test_good_symlink": _FILE_MANAGER,
    "test_manager.py::test_403": _FILE_MANAGER,
    "test_manager.py::test_400": _FILE_MANAGER,
    "test_manager.py::test_404": _FILE_MANAGER,
    "test_manager.py::test_escape_root": _FILE_MANAGER,
    "test_manager.py::test_save_before_and_after_signature_store_corruption": (
        "corrupts the notary's SQLite file on local disk under a FileContentsManager"
    ),
    "test_manager.py::test_save_raises_when_signature_store_unrecoverable": (
        "corrupts the notary's SQLite file on local disk under a FileContentsManager"
    ),
    "test_manager.py::test_copy_big_dir": (
        "builds its >5 MB folder with os.makedirs / shutil.copy under _get_os_path "
        "(tests/jupyter/test_contents.py checks max_copy_folder_size_mb on a session)"
    ),
    "test_manager.py::test_delete_non_empty_folder[*-True-False-None]": (
        "the expected outcome depends on whether root_dir and the home folder share a device "
        "(send2trash's local trash)"
    ),
    "test_manager.py::test_regression_is_hidden": _IS_HIDDEN,
    "test_manager.py::test_created_timestamp": _OS_TIMES,
    "test_manager.py::test_created_uses_birthtime_on_macos": _OS_TIMES,
    "test_manager.py::test_created_uses_ctime_on_windows": _OS_TIMES,
    "test_manager.py::test_created_timestamp_fallback_to_epoch": _OS_TIMES,
    "test_manager.py::test_base_model_invalid_timestamp_fallback": _OS_TIMES,
    # test_api.py
    "test_api.py::test_create_untitled": _CHECKS_DISK,
    "test_api.py::test_create_untitled_txt": _CHECKS_DISK,
    "test_api.py::test_upload": _CHECKS_DISK,
    "test_api.py::test_mkdir_untitled": _CHECKS_DISK,
    "test_api.py::test_mkdir": _CHECKS_DISK,
    "test_api.py::test_copy": _CHECKS_DISK,
    "test_api.py::test_copy_dir": _CHECKS_DISK,
    "test_api.py::test_copy_path": _CHECKS_DISK,
    "test_api.py::test_rename": _CHECKS_DISK,
    "test_api.py::test_get_nb_invalid": (
        "writes its invalid notebook straight to local disk (contents_dir)"
    ),
    "test_api.py::test_regression_is_hidden": _IS_HIDDEN,
}

# Upstream's root conftest: the folders and names test_api.py's files live in.
dirs = [
    ("", "inroot"),
    ("Directory with spaces in", "inspace"),
    ("unicodé", "innonascii"),
    ("foo", "a"),
    ("foo", "b"),
    ("foo", "name with spaces"),
    ("foo", "unicodé"),
    ("foo/bar", "baz"),
    ("ordering", "A"),
    ("ordering", "b"),
    ("ordering", "C"),
    ("å b", "ç d"),
]


def _provide_upstream_conftest() -> None:
    """test_api.py does ``from tests.conftest import dirs`` (upstream's root conftest)."""
    shim = types.ModuleType("tests.conftest")
    shim.dirs = dirs  # type: ignore[attr-defined]
    if "tests" not in sys.modules:
        sys.modules["tests"] = types.ModuleType("tests")
    sys.modules["tests.conftest"] = shim
    sys.modules["tests"].conftest = shim  # type: ignore[attr-defined]


_provide_upstream_conftest()


def _version_mismatch() -> str | None:
    if jupyter_server.__version__ == UPSTREAM_VERSION:
        return None
    return (
        f"tests/jupyter/upstream holds jupyter_server {UPSTREAM_VERSION}'s tests, but "
        f"{jupyter_server.__version__} is installed: copy that version's tests"
    )


def _repeat(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.indices.get("jp_contents_manager", 0) > 0


def _matches(key: str, pattern: str) -> bool:
    """``pattern`` with one ``*`` (any parameters before the ones named)."""
    start, star, end = pattern.partition("*")
    return bool(star) and key.startswith(start) and key.endswith(end)


def _key(item: pytest.Item) -> str:
    return f"{item.path.name}::{item.name}"


def _aether_manager(request: pytest.FixtureRequest, tmp_path: Path) -> AetherContentsManager:
    """In place of test_manager.py's own ``jp_contents_manager`` (FileContentsManager or its
    async twin, with or without atomic writing): each of its four parameters gets an
    ``AetherContentsManager`` of the test's session."""
    workspace = request.getfixturevalue("workspace")
    return AetherContentsManager(api=workspace, session=request.getfixturevalue("session_id"))


def _use_aether_manager(item: pytest.Item) -> None:
    # A fixture defined in the test module wins over any conftest's: swap its function.
    info = getattr(item, "_fixtureinfo", None)
    for definition in info.name2fixturedefs.get("jp_contents_manager", ()) if info else ():
        if definition.baseid.endswith("test_manager.py"):
            definition.func = _aether_manager  # type: ignore[misc]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # test_manager.py runs each test with four jp_contents_manager parameters (sync or async,
    # with or without atomic writing); all four become the same AetherContentsManager, so the
    # first alone runs.
    same = [item for item in items if HERE in item.path.parents and _repeat(item)]
    if same:
        config.hook.pytest_deselected(items=same)
        items[:] = [item for item in items if item not in set(same)]
    for item in items:
        if HERE not in item.path.parents:
            continue
        _use_aether_manager(item)
        key = _key(item)
        base = key.split("[")[0]
        reason = LOCAL_DISK.get(base) or next(
            (why for pattern, why in LOCAL_DISK.items() if _matches(key, pattern)), None
        )
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"inspects the local disk: {reason}"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    mismatch = _version_mismatch()
    if mismatch is not None and HERE in item.path.parents:
        if os.environ.get("CI") == "true":
            pytest.fail(mismatch)
        pytest.skip(mismatch)


# ------------------------------------------------------------------ upstream fixtures, overridden
@pytest.fixture
def contents_dir(tmp_path: Path, jp_serverapp: Any) -> Path:
    """A local folder: the tests that write into it are skipped (LOCAL_DISK)."""
    return tmp_path / jp_serverapp.root_dir


@pytest.fixture
def contents(contents_dir: Path, workspace: Any, session_id: str) -> dict[str, Any]:
    """Upstream's files, written into the session."""
    paths: dict[str, Any] = {
        "notebooks": [],
        "textfiles": [],
        "blobs": [],
        "contents_dir": contents_dir,
    }
    for folder, name in dirs:
        base = Path(folder)
        if folder:
            workspace.mkdir(session_id, folder, exist_ok=True)
        notebook = writes(new_notebook(), version=4).encode("utf-8")
        for path, data, kind in (
            (base / f"{name}.ipynb", notebook, "notebooks"),
            (base / f"{name}.txt", f"{name} text file".encode(), "textfiles"),
            (base / f"{name}.blob", name.encode("utf-8") + b"\xff", "blobs"),
        ):
            workspace.write(session_id, path.as_posix(), data)
            paths[kind].append(path)
    paths["all"] = list(paths.values())
    return paths


@pytest.fixture
def folders() -> list[str]:
    return list({item[0] for item in dirs})


@pytest.fixture(autouse=True)
def _folders_in_the_session(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """test_manager.py's ``_make_dir`` makes folders on local disk: make them in the session."""
    module = request.module
    if not hasattr(module, "_make_dir"):
        return

    def make_dir(manager: AetherContentsManager, api_path: str) -> None:
        manager.api.mkdir(manager.session, api_path.strip("/"), exist_ok=True)

    monkeypatch.setattr(module, "_make_dir", make_dir)
