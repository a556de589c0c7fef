"""Import directions of ARCHITECTURE.md, and who may read the environment, checked on the AST."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "aether_data"
PKG = "aether_data"

# layer -> layers it may import. ids and errors are the shared vocabulary of every layer.
VOCABULARY = {"ids", "errors"}
DOMAIN = {"objects", "storage", "catalog", "workspace", "review", "datasets", "sqllint"}
ALLOWED: dict[str, set[str]] = {
    "ids": {"errors"},
    "errors": set(),
    "settings": VOCABULARY,
    "objects": VOCABULARY,
    "storage": VOCABULARY | {"objects"},
    "catalog": VOCABULARY,
    "workspace": VOCABULARY | {"objects", "storage", "catalog"},
    "review": VOCABULARY | {"objects", "storage", "catalog", "workspace"},
    "datasets": VOCABULARY | {"objects", "storage"},
    "sqllint": VOCABULARY | {"datasets"},  # the dry run loads datasets
    "wire": VOCABULARY,
    "service": VOCABULARY | DOMAIN | {"settings", "wire"},
    "api": VOCABULARY
    | {"service", "settings", "wire", "objects"}
    | (DOMAIN - {"storage", "catalog"}),
    "client": VOCABULARY | {"wire", "objects"},
    # the CLI also starts the HTTP service (`aether serve` runs the api layer's app) and lints
    # local SQL files (`aether lint PATH`)
    "cli": VOCABULARY
    | {"settings", "service", "client", "wire", "objects", "storage", "workspace", "api"}
    | {"sqllint"},
    # surfaces open the embedded workspace (settings -> service) when no server is named
    "fs": VOCABULARY | {"client", "wire", "workspace", "settings", "service"},
    "mount": VOCABULARY | {"client", "wire", "workspace", "settings", "service"},
    # the IPython extension: a session (embedded or a server's) and its datasets in DuckDB
    "kernel": VOCABULARY | {"settings", "service", "client", "wire", "datasets"},
}
# Concrete backends: only the composition root (and the backend's own package) may name them.
CONCRETE = {
    "aether_data.storage.local",
    "aether_data.storage.memory",
    "aether_data.storage.s3",
    "aether_data.catalog.sql",
}
# the kernel extension is an edge like the CLI: its session comes from the kernel's environment
ENV_READERS = {"settings", "cli", "kernel"}
ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def _layer(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found += _from_import(node, module, path.name == "__init__.py")
    return [name for name in found if name == PKG or name.startswith(PKG + ".")]


def _from_import(node: ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if node.level:
        parts = module.split(".")
        base = parts if is_package else parts[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    submodules = [f"{target}.{alias.name}" for alias in node.names]
    return [target] + [name for name in submodules if _is_module(name)]


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or path.is_dir()


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_known_layer() -> None:
    layers = {_layer(_module_name(p)) for p in MODULES} - {""}
    assert layers <= set(ALLOWED), f"add these layers to ALLOWED: {layers - set(ALLOWED)}"


def _layer_violations(path: Path, module: str) -> list[str]:
    layer = _layer(module)
    bad = []
    for name in _imports(path, module):
        target = _layer(name)
        if not layer or not target or target == layer:
            continue
        if target not in ALLOWED[layer]:
            bad.append(f"{name} (layer {target!r})")
        elif any(name == c or name.startswith(c + ".") for c in CONCRETE) and layer != "service":
            bad.append(f"{name} (a concrete backend: only service may import it)")
    return bad


def _env_reads(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(), str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr in ENV_NAMES)
        or (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in ENV_NAMES for a in node.names)
        )
    ]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    module = _module_name(path)
    bad = _layer_violations(path, module)
    assert not bad, f"{module} may not import: {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_settings_and_cli_read_the_environment(path: Path) -> None:
    if _layer(_module_name(path)) in ENV_READERS:
        return
    uses = _env_reads(path)
    assert not uses, f"{path.name} reads the environment at lines {uses}; pass Settings instead"


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """A storage module that imports the catalog, a backend and reads os.environ is caught."""
    bad = tmp_path / "x.py"
    bad.write_text(
        "from aether_data.catalog import Catalog\n"
        "import aether_data.storage.s3\n"
        "import os\n"
        "HOME = os.environ.get('HOME')\n"
    )
    assert _layer_violations(bad, "aether_data.storage.x") == [
        "aether_data.catalog (layer 'catalog')"
    ]
    assert _layer_violations(bad, "aether_data.workspace.x") == [
        "aether_data.storage.s3 (a concrete backend: only service may import it)"
    ]
    assert _env_reads(bad) == [4]
