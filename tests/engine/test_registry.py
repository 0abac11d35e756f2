"""`push`, `pull` and `pull_policy: always` against a private registry (issue 9).

The registry runs on a free loopback port for the session (see the
``registry`` fixture); every image a test tags with the registry's name is
untagged when it ends (``registry_images``), after the project is removed.
"""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterator

import docker
import pytest
from local_registry import LocalRegistry
from reconcile_support import (  # noqa: F401
    Deployment,
    cleanup,
    deployment_fixture,
)

from composer.cli.app import GlobalOptions
from composer.cli.pipeline import hasher, prepare
from composer.plan import Plan, PlanOptions, plan
from composer.plan.images import ImageOptions
from composer.plan.model import Action, Kind

pytestmark = pytest.mark.engine

BUSYBOX = "busybox:local"


@pytest.fixture
def pushed(registry_images: list[str], deployment: Deployment) -> Iterator[Deployment]:
    """A deployment whose registry images are untagged after its project is gone.

    ``registry_images`` is set up first, so it is torn down last.
    """
    yield deployment
    cleanup(deployment.name)


def _name(registry: LocalRegistry, dep: Deployment, image: str) -> str:
    return f"{registry.host}/{dep.name}/{image}"


def _registry_image(
    registry: LocalRegistry,
    dep: Deployment,
    images: list[str],
    client: docker.DockerClient,
    image: str,
    *,
    push: bool,
) -> str:
    """Tag busybox:local as ``image`` under the registry, untagged at the end.

    With ``push`` the tag is uploaded to the registry too; its name.
    """
    name = _name(registry, dep, image)
    images.append(name)
    _tag(client, BUSYBOX, name)
    if push:
        client.images.push(*name.rsplit(":", 1))
    return name


def _tag(client: docker.DockerClient, source: str, target: str) -> None:
    repo, _, tag = target.rpartition(":")
    assert client.images.get(source).tag(repo, tag)


def _newer_image(client: docker.DockerClient, target: str, mark: str) -> str:
    """Build an image from busybox:local that differs by a label; its ID."""
    dockerfile = f'FROM {BUSYBOX}\nLABEL composer.test.revision="{mark}"\n'
    image, _ = client.images.build(
        fileobj=io.BytesIO(dockerfile.encode()), tag=target, rm=True
    )
    return str(image.id)


def _plan_with(dep: Deployment, pull: str | None) -> Plan:
    cwd = os.getcwd()
    os.chdir(dep.path)
    try:
        state = prepare(GlobalOptions(), ())
    finally:
        os.chdir(cwd)
    options = PlanOptions(hasher=hasher(), images=ImageOptions(pull=pull))
    return plan(state.desired, state.actual, options)


def _assert_only_pulls_left(dep: Deployment) -> None:
    """With ``pull_policy: always`` a plan pulls again, and does nothing else."""
    again = _plan_with(dep, None).steps
    pulls = [s for s in again if s.kind is Kind.IMAGE and s.action is Action.PULL]
    others = [s for s in again if s not in pulls]
    assert not others, [s.to_json() for s in others]
    settled = _plan_with(dep, "missing")
    assert settled.empty, [s.to_json() for s in settled.steps]


def test_push_then_pull_quiet_and_ignored_failures(
    registry_images: list[str],
    pushed: Deployment,
    registry: LocalRegistry,
    docker_client: docker.DockerClient,
) -> None:
    """`push` uploads a service's image; `pull` and `up` bring it back."""
    dep = pushed
    app = _registry_image(
        registry, dep, registry_images, docker_client, "app:1", push=False
    )
    # Nobody listens on the registry's port once it is given back.
    unreachable = f"127.0.0.1:{_closed_port()}/{dep.name}/gone:1"
    dep.write(
        f"""
name: @P@
services:
  app:
    image: {app}
    command: sleep 3600
    stop_signal: SIGKILL
  gone:
    image: {unreachable}
    profiles: [broken]
"""
    )

    dep.run("push")
    assert registry.tags(f"{dep.name}/app") == ["1"]

    docker_client.images.remove(app)
    pulled = dep.run("pull")
    assert "Service app  Pulled" in pulled.stderr, pulled.stderr
    assert docker_client.images.get(app).id == docker_client.images.get(BUSYBOX).id

    docker_client.images.remove(app)
    quiet = dep.run("pull", "--quiet")
    assert quiet.stderr == "" and quiet.stdout == "", quiet.stderr
    docker_client.images.get(app)

    failed = dep.run("--profile", "broken", "pull", ok=False)
    assert failed.returncode == 1
    assert f"pull of image {unreachable} for service gone failed" in failed.stderr
    docker_client.images.remove(app)
    ignored = dep.run("--profile", "broken", "pull", "--ignore-pull-failures")
    assert f"warning: pull of image {unreachable}" in ignored.stderr, ignored.stderr
    assert "Service app  Pulled" in ignored.stderr
    docker_client.images.get(app)

    docker_client.images.remove(app)
    up = dep.up()
    assert f"Image {app}  Pulled" in up.stderr, up.stderr
    dep.assert_converged()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_pull_policy_always_recreates_only_the_changed_service(
    registry_images: list[str],
    pushed: Deployment,
    registry: LocalRegistry,
    docker_client: docker.DockerClient,
) -> None:
    """A newer image ID behind the same tag recreates that service alone."""
    dep = pushed
    fresh = _registry_image(
        registry, dep, registry_images, docker_client, "fresh:1", push=True
    )
    dep.write(
        f"""
name: @P@
services:
  fresh:
    image: {fresh}
    pull_policy: always
    command: sleep 3600
    stop_signal: SIGKILL
  steady:
    image: {BUSYBOX}
    command: sleep 3600
    stop_signal: SIGKILL
"""
    )
    dep.up()
    before = dep.ids()
    _assert_only_pulls_left(dep)

    newer = _newer_image(docker_client, fresh, dep.name)
    docker_client.images.push(*fresh.rsplit(":", 1))
    _tag(docker_client, BUSYBOX, fresh)  # the local tag is the old image again
    assert docker_client.images.get(fresh).id != newer

    up = dep.up()

    assert docker_client.images.get(fresh).id == newer, up.stderr
    after = dep.ids()
    assert after[f"{dep.name}-steady-1"] == before[f"{dep.name}-steady-1"]
    assert after[f"{dep.name}-fresh-1"] != before[f"{dep.name}-fresh-1"]
    container = docker_client.containers.get(f"{dep.name}-fresh-1")
    assert container.image.id == newer and container.status == "running"
    _assert_only_pulls_left(dep)


def test_failing_pull_never_stops_a_running_container(
    registry_images: list[str],
    pushed: Deployment,
    registry: LocalRegistry,
    docker_client: docker.DockerClient,
) -> None:
    """A change that needs a recreate waits for the pull; a failed pull stops it."""
    dep = pushed
    app = _registry_image(
        registry, dep, registry_images, docker_client, "app:1", push=True
    )
    text = """
name: @P@
services:
  app:
    image: {app}
    pull_policy: always
    command: sleep 3600
    stop_signal: SIGKILL
    environment: {{GREETING: {greeting}}}
"""
    dep.write(text.format(app=app, greeting="hello"))
    dep.up()
    before = dep.ids()

    registry.delete_tag(f"{dep.name}/app", "1")
    dep.write(text.format(app=app, greeting="changed"))
    failed = dep.run("up", "-d", "-t", "0", ok=False)

    assert failed.returncode == 1
    assert f"pull of image {app} for service app failed" in failed.stderr
    assert dep.ids() == before
    container = docker_client.containers.get(f"{dep.name}-app-1")
    assert container.status == "running"
    assert "GREETING=hello" in container.attrs["Config"]["Env"]

    # The registry has the image again: the same up now recreates.
    docker_client.images.push(*app.rsplit(":", 1))
    dep.up()
    assert dep.ids() != before
    _assert_only_pulls_left(dep)
