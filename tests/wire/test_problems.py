"""Problem documents round-trip to the same exception family; unknown server failures never
pose as data corruption."""

from __future__ import annotations

import msgspec
import pytest

from aether_data.errors import (
    AetherError,
    Conflict,
    Corrupt,
    Forbidden,
    Invalid,
    MissingExtra,
    NotFound,
    PreconditionFailed,
    TooLarge,
    Unauthorized,
    Unavailable,
)
from aether_data.wire import Problem, error_from_problem, problem_from_error, status_of

FAMILIES = [
    (Invalid("bad path"), 400),
    (Unauthorized("no token"), 401),
    (Forbidden("no scope"), 403),
    (NotFound("no session"), 404),
    (Conflict("taken"), 409),
    (PreconditionFailed("moved"), 412),
    (TooLarge("too big"), 413),
    (Corrupt("ab" * 32, "hash mismatch"), 500),
    (MissingExtra("s3fs", "s3", "S3 storage"), 501),
    (Unavailable("down"), 503),
]


@pytest.mark.parametrize(("error", "status"), FAMILIES)
def test_each_family_round_trips_through_json(error: AetherError, status: int) -> None:
    problem = problem_from_error(error, instance="/v1/x")
    assert status_of(error) == problem.status == status
    decoded = msgspec.json.decode(msgspec.json.encode(problem), type=Problem)
    back = error_from_problem(decoded)
    assert type(back) is type(error)
    assert str(back) == str(error)


def test_corrupt_keeps_the_object_id() -> None:
    back = error_from_problem(problem_from_error(Corrupt("cd" * 32, "short read")))
    assert isinstance(back, Corrupt)
    assert back.object_id == "cd" * 32


@pytest.mark.parametrize(
    ("problem", "expected"),
    [
        (Problem(type="urn:aether:problem:internal", title="Internal error", status=500), None),
        (Problem(type="about:blank", title="Bad Gateway", status=502), Unavailable),
        (Problem(type="about:blank", title="Not Found", status=404), NotFound),
        (Problem(type="about:blank", title="Teapot", status=418), Invalid),
    ],
)
def test_problems_of_unknown_type_map_by_status(problem: Problem, expected) -> None:
    error = error_from_problem(problem)
    if expected is None:
        assert type(error) is AetherError  # a server bug, not corruption nor a retry hint
    else:
        assert type(error) is expected
