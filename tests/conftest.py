"""Fixtures shared by every test: paths, the Docker client, unique project names."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
from local_registry import LocalRegistry, RegistryUnavailable, start_registry

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
PROJECT_LABEL = "com.docker.compose.project"
PROJECT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root directory."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared material (cases, corpus, tools) beside the repository."""
    return SHARED_DIR


def unique_project_name(test_name: str) -> str:
    """A fresh Compose project name derived from a test's name: ct-<test>-<hex>."""
    slug = re.sub(r"[^a-z0-9]+", "-", test_name.lower()).strip("-")[:32].strip("-")
    name = f"ct-{slug or 'test'}-{uuid.uuid4().hex[:8]}"
    assert PROJECT_NAME_RE.match(name), name
    return name


def remove_project(client: docker.DockerClient, project: str) -> list[str]:
    """Remove every container, network and volume labelled with the project.

    Returns a description of each object that could not be removed.
    """
    label = f"{PROJECT_LABEL}={project}"
    failures: list[str] = []
    for container in client.containers.list(all=True, filters={"label": label}):
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            failures.append(f"container {container.name}: {exc}")
    for network in client.networks.list(filters={"label": label}):
        try:
            network.remove()
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            failures.append(f"network {network.name}: {exc}")
    for volume in client.volumes.list(filters={"label": label}):
        try:
            volume.remove(force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            failures.append(f"volume {volume.name}: {exc}")
    return failures


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A Docker SDK client for the local engine; fails (never skips) without one."""
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(
            "the Docker engine does not answer "
            f"({exc}); start it with scripts/ensure-docker "
            "(scripts/test does this for you)",
            pytrace=False,
        )
    yield client
    client.close()


@pytest.fixture
def project_name(
    request: pytest.FixtureRequest, docker_client: docker.DockerClient
) -> Iterator[str]:
    """A unique project name; everything labelled with it is removed afterwards."""
    name = unique_project_name(request.node.name)
    logger.debug("test %s uses project %s", request.node.nodeid, name)
    yield name
    failures = remove_project(docker_client, name)
    if failures:
        pytest.fail(
            f"could not clean up project {name}: " + "; ".join(failures),
            pytrace=False,
        )


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    """A private registry on a free loopback port; fails (never skips) without one."""
    try:
        running = start_registry(tmp_path_factory.mktemp("registry"))
    except RegistryUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield running
    running.stop()


@pytest.fixture
def registry_images(
    registry: LocalRegistry, docker_client: docker.DockerClient
) -> Iterator[list[str]]:
    """Names of images the test tags in the shared engine, untagged afterwards.

    Every local tag and digest reference naming the test registry goes too,
    so pushes and pulls leave nothing behind; an image left with no name and
    no container is removed.
    """
    made: list[str] = []
    yield made
    prefix = registry.host + "/"
    for image in docker_client.images.list():
        digests = image.attrs.get("RepoDigests") or []
        for name in [*image.tags, *digests]:
            if name.startswith(prefix) or name in made:
                try:
                    docker_client.images.remove(name)
                except docker.errors.NotFound:
                    pass
                except docker.errors.APIError as exc:
                    logger.warning("could not untag %s: %s", name, exc)
