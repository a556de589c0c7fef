"""Canonical encodings: round trips, order independence, refusal of unsafe names and bad bytes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aether_data.errors import Invalid
from aether_data.ids import ObjectId, object_id_of, parse_object_id
from aether_data.objects import (
    HEADER_SIZE,
    ChunkIndex,
    ChunkRef,
    Commit,
    EntryKind,
    Kind,
    Tree,
    TreeEntry,
    pack,
    unpack,
    validate_name,
)

object_ids = st.binary(min_size=1, max_size=64).map(object_id_of)
names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"), min_size=1, max_size=40
).filter(lambda n: n not in (".", ".."))
entries = st.builds(
    TreeEntry,
    name=names,
    kind=st.sampled_from(EntryKind),
    id=object_ids,
    size=st.integers(0, 2**50),
)
entry_lists = st.lists(entries, max_size=30, unique_by=lambda e: e.name)


@given(entry_lists)
def test_tree_round_trip(items: list[TreeEntry]) -> None:
    tree = Tree(items)
    decoded = Tree.decode(tree.encoded)
    assert list(decoded) == list(tree)
    assert decoded.id == tree.id == object_id_of(tree.encoded)


@given(entry_lists, st.randoms())
def test_tree_id_ignores_insertion_order(items: list[TreeEntry], rnd) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert Tree(shuffled).id == Tree(items).id
    assert Tree(shuffled).encoded == Tree(items).encoded


def test_tree_orders_by_utf8_bytes() -> None:
    oid = object_id_of(b"x")
    tree = Tree([TreeEntry(n, EntryKind.FILE, oid) for n in ["é", "z", "A", "a"]])
    assert tree.names == ["A", "a", "z", "é"]


@pytest.mark.parametrize(
    "name", ["", ".", "..", "a/b", "/", "nul\0byte", "x" * 256, b"\xff\xfe", "bad\udcff"]
)
def test_unsafe_names_are_refused(name: str | bytes) -> None:
    with pytest.raises(Invalid):
        validate_name(name)
    if isinstance(name, str):
        with pytest.raises(Invalid):
            TreeEntry(name, EntryKind.FILE, object_id_of(b""))


def test_duplicate_names_are_refused() -> None:
    oid = object_id_of(b"")
    with pytest.raises(Invalid, match="duplicate"):
        Tree([TreeEntry("a", EntryKind.FILE, oid), TreeEntry("a", EntryKind.DIR, oid)])


def test_names_with_newlines_tabs_and_spaces_survive() -> None:
    oid = object_id_of(b"")
    tree = Tree([TreeEntry("line\nbreak\tand space ", EntryKind.FILE, oid, 3)])
    assert Tree.decode(tree.encoded).names == ["line\nbreak\tand space "]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"aether-tree 2\n",
        b"aether-tree 1\nfile 1 abc\tname\0",
        b"aether-tree 1\nfile 1 " + b"a" * 64 + b"\tname",
        b"aether-tree 1\nfile 1 " + b"a" * 64 + b"\t..\0",
        # two entries out of canonical order
        b"aether-tree 1\nfile 0 " + b"a" * 64 + b"\tb\0file 0 " + b"a" * 64 + b"\ta\0",
    ],
)
def test_malformed_tree_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(Invalid):
        Tree.decode(data)


commits = st.builds(
    Commit,
    tree=object_ids,
    parents=st.lists(object_ids, max_size=3).map(tuple),
    author=st.text(st.characters(blacklist_characters="\n\r\0", blacklist_categories=("Cs",))),
    time_us=st.integers(0, 2**62),
    message=st.text(st.characters(blacklist_categories=("Cs",))),
    meta=st.dictionaries(
        st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,10}", fullmatch=True),
        st.text(st.characters(blacklist_characters="\n\r\0", blacklist_categories=("Cs",))),
        max_size=3,
    ),
)


@given(commits)
def test_commit_round_trip(commit: Commit) -> None:
    decoded = Commit.decode(commit.encoded)
    assert decoded == commit
    assert decoded.id == commit.id


def test_commit_refuses_multiline_author_and_bad_meta() -> None:
    tree = object_id_of(b"t")
    with pytest.raises(Invalid):
        Commit(tree, (), "a\nb", 0, "m")
    with pytest.raises(Invalid):
        Commit(tree, (), "a", 0, "m", {"Bad Key": "v"})
    with pytest.raises(Invalid):
        Commit(ObjectId("nothex"), (), "a", 0, "m")


@given(st.lists(st.tuples(object_ids, st.integers(1, 2**30)), min_size=1, max_size=50))
def test_chunk_index_round_trip(chunks: list[tuple[ObjectId, int]]) -> None:
    refs = tuple(ChunkRef(oid, n) for oid, n in chunks)
    index = ChunkIndex(object_id_of(b"file"), sum(n for _, n in chunks), refs)
    assert ChunkIndex.decode(index.encoded) == index
    assert index.locate(0) == 0
    assert index.locate(index.size - 1) == len(refs) - 1
    assert index.locate(index.size) == len(refs)


def test_chunk_index_self_check_catches_damage() -> None:
    index = ChunkIndex(object_id_of(b"f"), 5, (ChunkRef(object_id_of(b"c"), 5),))
    damaged = index.encoded.replace(b"size 5", b"size 6")
    with pytest.raises(Invalid, match="self-check"):
        ChunkIndex.decode(damaged)


@given(st.sampled_from(Kind), st.binary(max_size=5000), st.booleans())
def test_envelope_round_trip(kind: Kind, payload: bytes, compress: bool) -> None:
    assert unpack(pack(kind, payload, compress=compress)) == (kind, payload)


def test_envelope_compresses_only_when_it_pays() -> None:
    text = b"id,value\n" + b"1,2\n" * 10_000
    assert len(pack(Kind.BLOB, text)) < len(text) // 10
    noise = random.Random(0).randbytes(4096)
    assert len(pack(Kind.BLOB, noise)) == len(noise) + HEADER_SIZE


@pytest.mark.parametrize("text", ["", "ABC", "g" * 64, "a" * 63, "A" * 64])
def test_parse_object_id_refuses_non_ids(text: str) -> None:
    with pytest.raises(Invalid):
        parse_object_id(text)
