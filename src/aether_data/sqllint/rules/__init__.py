"""The lint rules: one module per rule, each defining ``RULE``. ``all_rules()`` finds them."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from ._base import ALL_DIALECTS, POSTGRES, Context, Hit, Rule, Statement

__all__ = ["ALL_DIALECTS", "POSTGRES", "Context", "Hit", "Rule", "Statement", "all_rules"]


@functools.cache
def all_rules() -> dict[str, Rule]:
    """Every rule of this package by id, in id order."""
    found: dict[str, Rule] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_"):
            continue
        rule = importlib.import_module(f"{__name__}.{module.name}").RULE
        if rule.id in found:
            raise RuntimeError(f"two lint rules have the id {rule.id!r}")
        found[rule.id] = rule
    return dict(sorted(found.items()))
