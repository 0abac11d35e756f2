"""An engine address with a scheme the SDK cannot use is named as such."""

from __future__ import annotations

import pytest

from composer.engine.client import Engine, check_scheme
from composer.errors import EngineError


def test_an_unsupported_docker_host_scheme_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "bogus://x")
    with pytest.raises(EngineError) as raised:
        Engine()
    message = raised.value.message
    assert "DOCKER_HOST 'bogus://x'" in message
    assert "scheme bogus:// is not supported" in message
    assert "cannot reach" not in message


@pytest.mark.parametrize(
    "host",
    [
        "unix:///var/run/docker.sock",
        "tcp://127.0.0.1:2375",
        "ssh://user@host",
        "npipe:////./pipe/docker_engine",
        "https://engine:2376",
        "TCP://127.0.0.1:2375",
    ],
)
def test_the_schemes_the_sdk_supports_pass(host: str) -> None:
    check_scheme(host, "DOCKER_HOST")
