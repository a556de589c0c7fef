"""Session paths: canonical form and refusal of anything unsafe."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aether_data.errors import Invalid
from aether_data.workspace.paths import join, normalize_path, parent_and_name, split_path


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("a", "a"), ("a/b/c.csv", "a/b/c.csv"), ("dir/", "dir"), ("é/ü", "é/ü"), (b"x/y", "x/y")],
)
def test_canonical_paths(raw: str | bytes, canonical: str) -> None:
    assert normalize_path(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a/./b",
        ".",
        "a//b",
        "a\\b",
        "nul\0x",
        b"bad\xff",
        "x" * 256,
        "a/" * 1100 + "b",
    ],
)
def test_unsafe_paths_are_refused(raw: str | bytes) -> None:
    with pytest.raises(Invalid):
        normalize_path(raw)


def test_root_only_when_allowed() -> None:
    assert normalize_path("", allow_root=True) == ""
    with pytest.raises(Invalid):
        normalize_path("/", allow_root=True)


components = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\0"),
    min_size=1,
    max_size=20,
).filter(lambda c: c not in (".", ".."))


@given(st.lists(components, min_size=1, max_size=6))
def test_split_join_round_trip(parts: list[str]) -> None:
    path = normalize_path("/".join(parts))
    assert split_path(path) == parts
    parent, name = parent_and_name(path)
    assert join(parent, name) == path
