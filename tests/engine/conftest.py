"""Real-engine test set-up: every test here is marked `engine`; image fixtures."""

from __future__ import annotations

from pathlib import Path

import docker
import docker.errors
import pytest

BUSYBOX_IMAGE = "composer-test/busybox:latest"
POSTGRES_IMAGE = "composer-test/postgres:15"
_ENGINE_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/engine/ as a real-engine test."""
    for item in items:
        if item.path.is_relative_to(_ENGINE_DIR):
            item.add_marker(pytest.mark.engine)


def _require_image(client: docker.DockerClient, name: str) -> str:
    """Fail with a clear message when a local test image has not been built."""
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        pytest.fail(
            f"test image {name} is missing; build it with scripts/build-images "
            "(scripts/test does this for you)",
            pytrace=False,
        )
    return name


@pytest.fixture(scope="session")
def busybox_image(docker_client: docker.DockerClient) -> str:
    """The name of the local busybox test image, checked to exist."""
    return _require_image(docker_client, BUSYBOX_IMAGE)


@pytest.fixture(scope="session")
def postgres_image(docker_client: docker.DockerClient) -> str:
    """The name of the local postgres:15 test image, checked to exist."""
    return _require_image(docker_client, POSTGRES_IMAGE)
