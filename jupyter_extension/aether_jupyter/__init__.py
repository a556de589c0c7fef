"""Jupyter integration for Aether Data sessions.

The contents manager, checkpoints and kernel extension land with the Jupyter issue; this package is
installed by the ``jupyter`` extra so that the import path is stable from the start.
"""

__all__: list[str] = []
