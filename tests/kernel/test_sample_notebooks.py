"""Every notebook of ``sample_workspaces/`` runs top to bottom (nbclient, a real kernel) against
a session made from its template, from the template's folder materialized on disk (the older
notebooks read the data by relative path; the newer ones through the session)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from _kernel import kernel_env
from nbclient import NotebookClient

from aether_data.service import open_services
from aether_data.settings import Settings
from aether_data.workspace.templates import DEFAULT_ROOT, materialize_template

NOTEBOOKS = sorted(DEFAULT_ROOT.glob("*/**/*.ipynb"))


def test_there_are_sample_notebooks_that_use_the_kernel_extension() -> None:
    assert NOTEBOOKS
    assert any("%load_ext aether_data.kernel" in p.read_text() for p in NOTEBOOKS)


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: str(p.relative_to(DEFAULT_ROOT)))
def test_sample_notebook_runs_against_a_session_of_its_template(
    notebook: Path, tmp_path: Path
) -> None:
    relative = notebook.relative_to(DEFAULT_ROOT)
    template = relative.parts[0]
    folder = materialize_template(template, tmp_path / template)
    home = tmp_path / "home"
    with open_services(Settings.for_home(home)) as services:
        session = services.workspace().create_session(template=template, name=template)
    nb = nbformat.read(notebook, as_version=4)
    cwd = (folder / Path(*relative.parts[1:])).parent
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute(env=kernel_env(home, session.id))
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors
    if "%aether diff" in notebook.read_text():
        html = [
            o["data"]["text/html"]
            for c in nb.cells
            for o in c.get("outputs", [])
            if "text/html" in o.get("data", {}) and "aether-dataset-diff" in o["data"]["text/html"]
        ]
        assert html, "the notebook's diff rendered no HTML"
