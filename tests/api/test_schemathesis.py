"""Property-based fuzzing of every operation in the published schema: whatever schemathesis
sends (valid or not), the server never answers 5xx.

The operations are walked by hand rather than with ``schema.parametrize()``: schemathesis'
lazy pytest loader does not run on pytest 9 yet.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from _live import LiveServer, start_thread_server
from aether_data.settings import Settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402 - after the import check
from schemathesis.checks import not_a_server_error  # noqa: E402

EXAMPLES = 10
# Server-Sent Event streams never end by themselves, so a fuzzer's request would wait forever;
# tests/api/test_review_http.py drives them, bad parameters included.
ENDLESS = {"subscribe", "follow_events"}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_thread_server(Settings.for_home(tmp_path_factory.mktemp("fuzz"))) as live:
        yield live


@pytest.fixture(scope="module")
def real_ids(fuzzed: LiveServer) -> dict[str, str]:
    """A real session (holding a file) and source, so that fuzzing reaches the handlers."""
    with httpx.Client(base_url=fuzzed.url, headers=fuzzed.headers()) as admin:
        sid = admin.post("/v1/sessions", json={}).json()["id"]
        admin.put(f"/v1/sessions/{sid}/files/a.txt", content=b"hello")
        name = f"fuzz-{uuid.uuid4().hex[:6]}"
        admin.post("/v1/sources", json={"name": name})
    return {"session_id": sid, "name": name}


def _fuzz(operation, mode: GenerationMode, fixed: dict[str, str], server: LiveServer) -> None:
    names = set(re.findall(r"\{(\w+)\}", operation.path))
    strategy = operation.as_strategy(
        generation_mode=mode, path_parameters={k: v for k, v in fixed.items() if k in names}
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    @given(case=strategy)
    def run(case) -> None:
        case.call_and_validate(
            base_url=server.url, headers=server.headers(), checks=[not_a_server_error]
        )

    run()


@pytest.mark.slow
def test_no_server_errors(fuzzed: LiveServer, real_ids: dict[str, str]) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed.url}/schema/openapi.json")
    failures, count = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.definition.raw.get("operationId") in ENDLESS:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            count += 1
            try:
                _fuzz(operation, mode, real_ids, fuzzed)
            except Unsatisfiable:
                continue  # nothing to make invalid (no parameters, no body)
            except Exception as exc:  # collect them all, then fail once
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert count >= 80
    assert not failures, "\n\n".join(failures)
