"""Image builds against a real engine: `up` builds, a stale build is rebuilt.

Every image built here is tagged with a name starting with the project's
name, and those tags are removed when the test ends.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest
from reconcile_support import (  # noqa: F401
    Deployment,
    cleanup,
    deployment_fixture,
    sleepers,
)

pytestmark = pytest.mark.engine

DOCKERFILE = 'FROM busybox:local\nCOPY . /srv/\nCMD ["sleep", "3600"]\n'

TWO = """
name: @P@
services:
  api:
    build: ./api
    stop_signal: SIGKILL
  ui:
    build:
      context: ./ui
      args: {FLAVOUR: plain}
    stop_signal: SIGKILL
    depends_on: [api]
"""


def remove_built_images(project: str) -> None:
    """Remove the tags of images built for ``project`` (named after it).

    By tag, not by ID: a build gives the same image whichever project makes
    it, so another project's tag may name the same image.
    """
    client = docker.from_env()
    for image in client.images.list(filters={"label": "composer.build-digest"}):
        for tag in image.tags:
            if not tag.startswith((project + "-", project + "_")):
                continue
            try:
                client.images.remove(tag)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                # Another test's short-lived container may still use it.
                warnings.warn(f"image {tag} of {project} kept: {exc}", stacklevel=1)


@pytest.fixture
def built(deployment: Deployment) -> Iterator[Deployment]:
    """A deployment whose built images are removed afterwards."""
    yield deployment
    cleanup(deployment.name)
    remove_built_images(deployment.name)


def _contexts(dep: Deployment) -> None:
    for name in ("api", "ui"):
        (dep.path / name).mkdir()
        (dep.path / name / "Dockerfile").write_text(DOCKERFILE)
        (dep.path / name / f"{name}.txt").write_text(f"{name} 1\n")
    (dep.path / "ui" / ".dockerignore").write_text("scratch/\n*.log\n!keep.log\n")
    (dep.path / "ui" / "scratch").mkdir()
    (dep.path / "ui" / "scratch" / "notes").write_text("draft\n")
    dep.write(TWO)


def _cat(dep: Deployment, service: str, path: str) -> str:
    client = docker.from_env()
    container = client.containers.get(f"{dep.name}-{service}-1")
    code, out = container.exec_run(["cat", path])
    assert code == 0, out
    return bytes(out).decode()


def test_up_builds_and_rebuilds_only_the_changed_service(built: Deployment) -> None:
    """A context edit rebuilds and recreates one service; ignored edits do nothing."""
    dep = built
    _contexts(dep)
    first = dep.up()
    assert "build image" in first.stdout, first.stdout
    # Plain progress prints the build's output after the service's name (the
    # engine counts composer's LABEL steps in the total, hence no fixed N).
    assert re.search(r"^ui  \| Step 1/\d+ : FROM busybox:local$", first.stderr, re.M)
    assert re.search(r"^api  \| Step 3/\d+ : CMD", first.stderr, re.M), first.stderr
    assert _cat(dep, "ui", "/srv/ui.txt") == "ui 1\n"
    client = docker.from_env()
    image = client.images.get(f"{dep.name}-ui:latest")
    assert image.labels["composer.build-digest"].startswith("sha256:")
    dep.assert_converged()
    ids = dep.ids()

    (dep.path / "ui" / "scratch" / "notes").write_text("more draft\n")
    (dep.path / "ui" / "debug.log").write_text("noise\n")
    assert dep.run("diff", "--exit-code").returncode == 0

    (dep.path / "ui" / "ui.txt").write_text("ui 2\n")
    shown = dep.run("diff", "--exit-code", ok=False)
    assert shown.returncode == 2
    assert "build context changed" in shown.stdout, shown.stdout
    assert "api" not in shown.stdout.replace(f"{dep.name}-ui", ""), shown.stdout

    dep.up()
    after = dep.ids()
    assert after[f"{dep.name}-api-1"] == ids[f"{dep.name}-api-1"]
    assert after[f"{dep.name}-ui-1"] != ids[f"{dep.name}-ui-1"]
    assert _cat(dep, "ui", "/srv/ui.txt") == "ui 2\n"
    dep.assert_converged()

    (dep.path / "ui" / "keep.log").write_text("re-included by !keep.log\n")
    assert dep.run("diff", "--exit-code", ok=False).returncode == 2
    dep.up()
    assert _cat(dep, "ui", "/srv/keep.log").startswith("re-included")
    dep.assert_converged()


SHARED = """
name: @P@
services:
  app:
    image: SHARED_TAG
    build: CONTEXT
    stop_signal: SIGKILL
"""


def test_projects_sharing_an_image_name_build_the_same_image(
    built: Deployment, tmp_path: Path
) -> None:
    """Two projects with the same image: and build: context agree on its ID.

    Building in the second project keeps the tag on the first one's image, so
    neither shows a pending image ID change.
    """
    first = built
    second = Deployment(tmp_path / "second", f"{first.name}-second")
    second.path.mkdir()
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "Dockerfile").write_text(DOCKERFILE)
    (shared / "app.txt").write_text("shared 1\n")
    tag = f"{first.name}-shared:latest"
    text = SHARED.replace("SHARED_TAG", tag).replace("CONTEXT", str(shared))
    first.write(text)
    second.write(text)
    client = docker.from_env()
    try:
        first.up()
        image = client.images.get(tag).id
        first.assert_converged()
        second.run("build")
        assert client.images.get(tag).id == image
        assert first.run("diff", "--exit-code").returncode == 0
        second.up()
        assert client.images.get(tag).id == image
        first.assert_converged()
        second.assert_converged()
    finally:
        cleanup(second.name)


def test_build_arguments_are_build_inputs(built: Deployment) -> None:
    """Changing a build argument or an inline Dockerfile rebuilds the image."""
    dep = built
    text = """
name: @P@
services:
  app:
    build:
      context: .
      dockerfile_inline: |
        FROM busybox:local
        ARG FLAVOUR
        RUN echo "$$FLAVOUR" > /flavour
        CMD ["sleep", "3600"]
      args: {FLAVOUR: FLAVOUR_VALUE}
    stop_signal: SIGKILL
"""
    dep.write(text.replace("FLAVOUR_VALUE", "salt"))
    dep.up()
    assert _cat(dep, "app", "/flavour") == "salt\n"
    dep.assert_converged()
    dep.write(text.replace("FLAVOUR_VALUE", "pepper"))
    assert "build context changed" in dep.run("diff").stdout
    dep.up()
    assert _cat(dep, "app", "/flavour") == "pepper\n"
    dep.assert_converged()


def test_build_no_cache_then_up_recreates(built: Deployment) -> None:
    """`build --no-cache` makes a new image, which `up` then rolls out."""
    dep = built
    _contexts(dep)
    dep.up()
    client = docker.from_env()
    before = client.images.get(f"{dep.name}-api:latest").id
    ids = dep.ids()
    rebuilt = dep.run("--progress", "json", "build", "--no-cache", "api")
    lines = [json.loads(t) for t in rebuilt.stderr.splitlines() if t.startswith("{")]
    output = [e["text"] for e in lines if e.get("output") and e["name"] == "api"]
    assert any(re.fullmatch(r"Step 2/\d+ : COPY \. /srv/", t) for t in output), lines
    assert not any("Using cache" in text for text in output)
    assert client.images.get(f"{dep.name}-api:latest").id != before
    shown = dep.run("diff", "--exit-code", ok=False)
    assert shown.returncode == 2 and "image ID" in shown.stdout, shown.stdout
    dep.up()
    after = dep.ids()
    assert after[f"{dep.name}-api-1"] != ids[f"{dep.name}-api-1"]
    assert after[f"{dep.name}-ui-1"] == ids[f"{dep.name}-ui-1"]
    dep.assert_converged()


def test_failing_build_changes_nothing(built: Deployment) -> None:
    """A broken Dockerfile fails `up` before any container is touched."""
    dep = built
    _contexts(dep)
    dep.up()
    ids = dep.ids()
    (dep.path / "api" / "api.txt").write_text("api 2\n")
    (dep.path / "ui" / "Dockerfile").write_text("FROM busybox:local\nBOGUS nothing\n")
    (dep.path / "ui" / "ui.txt").write_text("ui 2\n")
    failed = dep.run("up", "-d", ok=False)
    assert failed.returncode == 1
    assert "build of service ui failed" in failed.stderr, failed.stderr
    assert dep.ids() == ids

    (dep.path / "ui" / "Dockerfile").write_text(DOCKERFILE)
    dep.up()
    dep.assert_converged()


def test_buildkit_only_options_are_refused(built: Deployment) -> None:
    """Build secrets need BuildKit: a clear error, nothing created."""
    dep = built
    (dep.path / "token").write_text("t0k3n\n")
    dep.write(
        """
name: @P@
services:
  app:
    build:
      context: .
      dockerfile_inline: "FROM busybox:local\\n"
      secrets: [tok]
secrets:
  tok: {file: ./token}
"""
    )
    failed = dep.run("up", "-d", ok=False)
    assert failed.returncode == 1
    assert "not supported by this engine" in failed.stderr, failed.stderr
    assert dep.ids() == {}
    _runnable_again(dep)


def test_pull_policy_never_with_missing_image(built: Deployment) -> None:
    """`pull_policy: never` and no local image: a clear message, no change,
    neither to a new project nor to a running one."""
    dep = built
    missing = """
  app:
    image: composer-test/absent:never
    pull_policy: never
"""
    dep.write(f"name: @P@\nservices:{missing}")
    failed = dep.run("up", "-d", ok=False)
    assert failed.returncode == 1
    said = failed.stderr + failed.stdout
    assert "composer-test/absent:never" in said and "pull_policy is never" in said
    assert dep.ids() == {}
    client = docker.from_env()
    assert not client.networks.list(names=[f"{dep.name}_default"])

    # A deployed project: changing a service to a missing image changes nothing.
    _runnable_again(dep)
    ids = dep.ids()
    dep.write(sleepers("other", tail=missing))
    refused = dep.run("up", "-d", ok=False)
    assert refused.returncode == 1
    assert "pull_policy is never" in refused.stderr + refused.stdout
    assert dep.ids() == ids
    assert _state(dep, "app") == "running"
    _runnable_again(dep)


def _state(dep: Deployment, service: str) -> str:
    client = docker.from_env()
    return str(client.containers.get(f"{dep.name}-{service}-1").status)


def _runnable_again(dep: Deployment) -> None:
    """After a refusal, a valid project deploys and then plans empty."""
    dep.write(
        """
name: @P@
services:
  app:
    image: busybox:local
    pull_policy: never
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
"""
    )
    dep.up()
    dep.assert_converged()


def test_missing_image_without_registry_fails_cleanly(built: Deployment) -> None:
    """A pull that cannot reach a registry fails without a traceback or change."""
    dep = built
    dep.write("name: @P@\nservices:\n  app:\n    image: composer-test/absent:pull\n")
    failed = dep.run("up", "-d", ok=False)
    assert failed.returncode == 1
    message = "pull of image composer-test/absent:pull for service app failed"
    assert message in failed.stderr, failed.stderr
    # Said once: the progress line only says the step failed.
    assert failed.stderr.count("pull of image") == 1, failed.stderr
    assert "Image composer-test/absent:pull  failed" in failed.stderr
    assert dep.ids() == {}
    _runnable_again(dep)


def test_build_stand_in_of_the_example(built: Deployment, repo_root: Path) -> None:
    """The example's local override builds its stand-in app through composer.

    The example's own files are used (compose.yaml and compose.local.yaml),
    with one more override giving the image a name of this test's, so the
    example's shared image name is left alone.
    """
    dep = built
    example = repo_root / "examples" / "postgres-dotnet"
    dep.write(
        "services:\n  mi-aplicacion:\n    image: @P@-standin:local\n", "rename.yaml"
    )
    files = ["-f", str(example / "compose.yaml"), "-f"]
    files += [str(example / "compose.local.yaml"), "-f", str(dep.path / "rename.yaml")]
    declared = json.loads(dep.run(*files, "config", "--format", "json").stdout)
    build = declared["services"]["mi-aplicacion"]["build"]
    assert Path(build["context"]) == example / "standin", build
    built_now = dep.run("-p", dep.name, *files, "build", "mi-aplicacion")
    assert "Step 1/" in built_now.stderr and "composer-test/debian" in built_now.stderr
    client = docker.from_env()
    image = client.images.get(f"{dep.name}-standin:local")
    assert not any("built-for" in key for key in image.labels)
    assert image.labels["composer.build-digest"].startswith("sha256:")
    assert image.attrs["Config"]["Cmd"] == ["python3", "app.py"]  # standin/'s
    assert image.attrs["Config"]["User"] == "1654:1654"
    again = dep.run("-p", dep.name, *files, "build", "mi-aplicacion")
    assert client.images.get(f"{dep.name}-standin:local").id == image.id, again

    dep.write(
        """
name: @P@
services:
  app:
    image: @P@-standin:local
    pull_policy: never
    entrypoint: ["sleep", "3600"]
    stop_signal: SIGKILL
"""
    )
    dep.up()
    dep.assert_converged()


def test_up_build_flags(built: Deployment) -> None:
    """`--no-build` refuses a missing image; `--build` rebuilds, same image kept."""
    dep = built
    _contexts(dep)
    refused = dep.run("up", "-d", "--no-build", ok=False)
    assert refused.returncode == 1 and "--no-build" in refused.stdout + refused.stderr
    assert dep.ids() == {}
    dep.up()
    ids = dep.ids()
    again = dep.up("--build")
    assert "Built" in again.stderr, again.stderr
    assert dep.ids() == ids  # identical inputs: same image, nothing recreated
    dep.assert_converged()


def test_pull_push_and_images_commands(built: Deployment) -> None:
    """Without a registry: pull and push fail clearly; images lists the project's."""
    dep = built
    dep.write(
        sleepers(
            "app",
            tail="  other:\n    image: composer-test/absent:pull\n"
            "    profiles: [never]\n",
        )
    )
    dep.up()
    ids = dep.ids()
    failed = dep.run("--profile", "never", "pull", "other", ok=False)
    assert failed.returncode == 1
    assert "pull of image composer-test/absent:pull for service other failed" in (
        failed.stderr
    )
    ignored = dep.run("--profile", "never", "pull", "--ignore-pull-failures", "-q")
    assert "composer-test/absent:pull" in ignored.stderr
    assert dep.ids() == ids  # a failing pull never touches a running container
    pushed = dep.run("push", "app", ok=False)
    assert pushed.returncode == 1 and "push of busybox:local failed" in pushed.stderr
    listed = dep.run("images").stdout.splitlines()
    assert listed[0].split()[:3] == ["CONTAINER", "REPOSITORY", "TAG"]
    assert listed[1].split()[:3] == [f"{dep.name}-app-1", "busybox", "local"]
    dep.assert_converged()
