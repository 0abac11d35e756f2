"""Data safety: volume contents survive every recreate, ``down`` and renames.

A service with a named, an anonymous and an external volume gets a marker file
in each; the suite then recreates it for every reason composer has, takes the
project down and up, renames it, and runs a prefix-sharing second project.
Figures: markers lost (0), external or foreign volumes removed (0).
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import docker.errors
import pytest

from reliability.engine_support import IMAGE, LABEL, Proj, cleanup, project_dir
from reliability.figures import report

pytestmark = [pytest.mark.reliability, pytest.mark.engine]

APP = """
name: @P@
services:
  db:
    image: {image}
    command: {command}
    stop_signal: SIGKILL
    environment: {{MODE: "{mode}"}}
    volumes: [data:/data, /anon, ext:/ext]
volumes:
  data: {{}}
  ext: {{external: true, name: {ext}}}
"""


@dataclass
class Tally:
    """Checks made and failures seen."""

    checks: int = 0
    lost: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass
class World:
    """The docker client, the external volume and a retaggable image."""

    client: docker.DockerClient
    ext: str
    image: str
    made_images: list[str] = field(default_factory=list)


@pytest.fixture(name="world")
def world_fixture() -> Iterator[World]:
    """An external volume and an image tag of the test's own, removed afterwards."""
    client = docker.from_env()
    tag = uuid.uuid4().hex[:8]
    ext = f"relext{tag}"
    client.volumes.create(ext)
    world = World(client, ext, f"relimg{tag}:v")
    client.images.get(IMAGE).tag(world.image)
    try:
        yield world
    finally:
        client.volumes.get(ext).remove(force=True)
        for ref in [world.image, *world.made_images]:
            with contextlib.suppress(docker.errors.ImageNotFound):
                client.images.remove(ref, force=True)


def _compose(world: World, **over: str) -> str:
    """The project's file with some settings changed."""
    values = {"image": world.image, "command": "sleep 3600", "mode": "a"}
    values.update(over)
    return APP.format(ext=world.ext, **values)


def _retag(world: World) -> None:
    """Point the project's image tag at a different image."""
    dockerfile = f"FROM {IMAGE}\nLABEL rel.retag={uuid.uuid4().hex}\n"
    image, _ = world.client.images.build(fileobj=io.BytesIO(dockerfile.encode()))
    world.made_images.append(image.id)
    image.tag(world.image)


def _exec(world: World, proj: Proj, script: str) -> tuple[int, str]:
    """Run ``script`` in the project's first ``db`` container."""
    found = world.client.containers.list(
        filters={"label": [f"{LABEL}={proj.name}", "com.docker.compose.service=db"]}
    )
    assert found, f"no running db container in {proj.name}"
    found.sort(key=lambda c: c.name)
    code, out = found[0].exec_run(["sh", "-c", script])
    return int(code), out.decode(errors="replace")


def _write_markers(world: World, proj: Proj) -> None:
    """Put a marker file in each of the three volumes."""
    code, out = _exec(world, proj, "for d in data anon ext; do echo m > /$d/m; done")
    assert code == 0, out


def _check(world: World, proj: Proj, step: str, dirs: str, tally: Tally) -> None:
    """Every marker in ``dirs`` is still there; the external volume exists."""
    for d in dirs.split():
        tally.checks += 1
        code, out = _exec(world, proj, f"cat /{d}/m")
        if code != 0 or out.strip() != "m":
            tally.lost.append(f"{step}: /{d} marker lost")
    try:
        world.client.volumes.get(world.ext)
    except docker.errors.NotFound:
        tally.removed.append(f"{step}: external volume removed")


def _volume_marker(world: World, volume: str) -> bool:
    """True when ``volume`` exists and holds the marker file."""
    try:
        box = world.client.containers.create(
            IMAGE, ["cat", "/v/m"], volumes={volume: {"bind": "/v"}}
        )
    except docker.errors.DockerException:
        return False
    try:
        box.start()
        code = box.wait(timeout=120)["StatusCode"]
        out = box.logs(stdout=True, stderr=False).decode()
    except docker.errors.DockerException:
        return False
    finally:
        # Removed whatever happened: a reader left behind keeps the volume in use.
        box.remove(force=True)
    return code == 0 and out.strip() == "m"


def _holders(world: World, volume: str) -> str:
    """The containers that mount ``volume``, named for a failure message."""
    found = world.client.containers.list(all=True, filters={"volume": volume})
    return "".join(f"\nheld by {c.name} {c.labels}" for c in found)


def test_recreate_and_down(world: World, proj: Proj) -> None:
    """Markers survive every cause of recreate, ``down`` and orphan removal."""
    tally = Tally()
    proj.write(_compose(world))
    proj.up()
    _write_markers(world, proj)
    all3 = "data anon ext"
    steps: list[tuple[str, Callable[[], None], str]] = [
        ("env change", lambda: proj.write(_compose(world, mode="b")), all3),
        ("image retag", lambda: _retag(world), all3),
        (
            "command change",
            lambda: proj.write(_compose(world, command="sleep 3599")),
            all3,
        ),
        ("--force-recreate", lambda: None, all3),
        ("scale to 2", lambda: None, all3),
        ("scale to 1", lambda: None, all3),
    ]
    extra = {
        "--force-recreate": ["--force-recreate"],
        "scale to 2": ["--scale", "db=2"],
    }
    for step, change, dirs in steps:
        change()
        proj.up(*extra.get(step, []))
        _check(world, proj, step, dirs, tally)
    for step, args in (("down", []), ("down --remove-orphans", ["--remove-orphans"])):
        down = proj.run("down", "-t", "0", *args)
        assert down.returncode == 0, down.stderr
        proj.up()
        _check(world, proj, step, "data ext", tally)
    assert proj.converged()
    _finish("data-safety-recreate", tally)


def _finish(suite: str, tally: Tally) -> None:
    """Report and assert the figures."""
    lines = [
        f"marker checks: {tally.checks}",
        f"markers lost: {len(tally.lost)} (goal 0)",
        f"external or foreign volumes removed: {len(tally.removed)} (goal 0)",
        *(f"  {p}" for p in tally.lost + tally.removed),
    ]
    text = report(suite, lines)
    assert not tally.lost, text
    assert not tally.removed, text


def test_rename_and_prefix_sharing(tmp_path: Path, world: World) -> None:
    """A renamed project and app/app2 leave each other's volumes alone."""
    tally = Tally()
    gen = project_dir(tmp_path, "app")
    app = next(gen)
    other = Proj(tmp_path / "second", app.name + "2")
    other.path.mkdir()
    renamed = app.name + "new"
    try:
        for p in (app, other):
            p.write(_compose(world))
            p.up()
            _write_markers(world, p)
        proj_run = app.run("-p", renamed, "up", "-d", "-t", "0")
        assert proj_run.returncode == 0, proj_run.stderr
        down = app.run("-p", renamed, "down", "-v", "-t", "0")
        assert down.returncode == 0, down.stderr
        tally.checks += 1
        if not _volume_marker(world, f"{app.name}_data"):
            tally.lost.append("rename: the old project's volume lost its marker")
        down = app.run("down", "-v", "-t", "0")
        assert down.returncode == 0, down.stderr + _holders(world, f"{app.name}_data")
        tally.checks += 1
        if not _volume_marker(world, f"{other.name}_data"):
            tally.removed.append("app down -v: app2's volume removed or emptied")
        _check(world, other, "app down -v", "data anon ext", tally)
    finally:
        cleanup(other.name)
        cleanup(renamed)
        next(gen, None)
    _finish("data-safety-projects", tally)
