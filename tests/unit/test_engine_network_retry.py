"""A network whose removed containers' endpoints are still being freed."""

from __future__ import annotations

import docker.errors
import pytest
import requests

from composer.engine.client import Engine
from composer.errors import EngineError


class _Api:
    def __init__(self, refusals: int, message: str) -> None:
        self.refusals = refusals
        self.message = message
        self.calls = 0

    def remove_network(self, name: str) -> None:
        self.calls += 1
        if self.calls <= self.refusals:
            response = requests.Response()
            response.status_code = 403
            raise docker.errors.APIError("refused", response, explanation=self.message)

    def close(self) -> None:
        """Nothing to close."""


ENDPOINTS = "error while removing network: network p_default has active endpoints"


def _engine(api: _Api, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setattr("composer.engine.client.time.sleep", lambda s: None)
    engine = Engine(host="unix:///nonexistent.sock")
    engine._api = api
    return engine


def test_active_endpoints_are_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    api = _Api(2, ENDPOINTS)
    _engine(api, monkeypatch).remove_network("p_default")
    assert api.calls == 3


def test_endpoints_that_stay_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    api = _Api(100, ENDPOINTS)
    with pytest.raises(EngineError, match="active endpoints"):
        _engine(api, monkeypatch).remove_network("p_default")
    assert api.calls == 6


def test_other_refusals_are_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    api = _Api(100, "network p_default is in use by a service")
    with pytest.raises(EngineError, match="in use"):
        _engine(api, monkeypatch).remove_network("p_default")
    assert api.calls == 1
