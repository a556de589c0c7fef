"""A failure nobody planned for is a 500 problem with a generic detail, logged, never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from _apitest import assert_problem
from litestar.testing import TestClient

from aether_data.api import create_app
from aether_data.errors import Corrupt
from aether_data.service import open_services
from aether_data.settings import Settings


class _Broken:
    def get_session(self, session_id: str) -> None:
        raise RuntimeError("password=hunter2 in /srv/secret/config.py")

    def list_sessions(self, **_: object) -> None:
        raise Corrupt("ab" * 32, "hash mismatch")


def test_unexpected_errors_are_generic_500s(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with open_services(Settings.for_home(tmp_path)) as services:
        secret = services.tokens.issue("t", ["admin"])[1]
        services.workspace = lambda *_, **__: _Broken()  # type: ignore[method-assign]
        app = create_app(services.settings, services=services)
        headers = {"Authorization": f"Bearer {secret}"}
        with caplog.at_level(logging.ERROR), TestClient(app) as client:
            answer = client.get("/v1/sessions/s-1", headers=headers)
            problem = assert_problem(answer, 500, "internal")
            assert "hunter2" not in answer.text
            assert "secret" not in answer.text
            assert problem["detail"] == "the server failed unexpectedly; its log has the details"
            corrupt = assert_problem(client.get("/v1/sessions", headers=headers), 500, "corrupt")
            assert corrupt["extra"] == {"object_id": "ab" * 32}
    assert "hunter2" in caplog.text  # the operator sees it in the log
