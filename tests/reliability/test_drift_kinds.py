"""Drift: ten kinds of change made behind composer's back, each fixed by one ``up``.

After every kind, one ``composer up`` must restore the declared state and the
plan after it must be empty.  "Recreated by hand with other settings" copies
every label of the container composer made (its recorded definition and config
hash included) and changes one setting: the command, the image, or the
environment.  Only the list of containers is observed, so an environment
change shows only through the creation time: that variant copies the labels of
a container composer made an hour before (its creation label moved back an
hour), the case the planner's tolerance is for (``composer.plan.handmade``).
"""

from __future__ import annotations

import contextlib
import io
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import docker
import docker.errors
import pytest

from reliability.engine_support import IMAGE, LABEL, Proj
from reliability.figures import report

pytestmark = [pytest.mark.reliability, pytest.mark.engine]

OTHER_IMAGE = "composer-test/debian:bookworm"
CREATED = "composer.created"

APP = """
name: @P@
services:
  web:
    image: {image}
    command: sleep 3600
    stop_signal: SIGKILL
    labels: {{app.tier: web}}
    volumes: [data:/data]
    networks: [front]
volumes:
  data: {{}}
networks:
  front: {{}}
"""


class Drift:
    """The project's objects and a way to change them behind composer's back."""

    def __init__(self, proj: Proj, image: str) -> None:
        self.proj = proj
        self.image = image
        self.client = docker.from_env()
        self.container = f"{proj.name}-web-1"
        self.network = f"{proj.name}_front"
        self.volume = f"{proj.name}_data"
        self.made_images: list[str] = []

    def web(self) -> Any:
        """The web container."""
        return self.client.containers.get(self.container)

    def recreate_by_hand(self, **change: Any) -> None:
        """Replace the container with one made by hand from its settings."""
        old = self.web()
        labels = dict(old.labels)
        labels.update(change.pop("labels", {}))
        args: dict[str, Any] = {
            "image": old.attrs["Config"]["Image"],
            "command": old.attrs["Config"]["Cmd"],
            "name": self.container,
            "labels": labels,
            "environment": old.attrs["Config"]["Env"],
            "volumes": {self.volume: {"bind": "/data", "mode": "rw"}},
            "network": self.network,
            "stop_signal": "SIGKILL",
            "detach": True,
        }
        args.update(change)
        old.remove(force=True)
        self.client.containers.run(**args)

    def recreate_later_with_env(self) -> None:
        """Labels of a container made an hour ago, copied; one more variable."""
        old = self.web()
        made = float(old.labels[CREATED]) - 3600
        env = [*old.attrs["Config"]["Env"], "DRIFT=1"]
        self.recreate_by_hand(environment=env, labels={CREATED: f"{made:.0f}"})

    def retag(self) -> None:
        """Point the service's image tag at a different image."""
        text = f"FROM {IMAGE}\nLABEL rel.drift={uuid.uuid4().hex}\n"
        image, _ = self.client.images.build(fileobj=io.BytesIO(text.encode()))
        self.made_images.append(image.id)
        image.tag(self.image)

    def remove_network(self) -> None:
        """Disconnect everything from the network and remove it."""
        self.client.networks.get(self.network).disconnect(self.container, force=True)
        self.client.networks.get(self.network).remove()

    def remove_volume(self) -> None:
        """Remove the container, then its now unused volume."""
        self.web().remove(force=True)
        self.client.volumes.get(self.volume).remove(force=True)

    def problems(self) -> list[str]:
        """How the live state differs from the declared one."""
        found = []
        try:
            web = self.web()
        except docker.errors.NotFound:
            return [f"container {self.container} missing"]
        attrs = web.attrs
        if attrs["State"]["Status"] != "running":
            found.append(f"state {attrs['State']['Status']}")
        if self.network not in attrs["NetworkSettings"]["Networks"]:
            found.append("not on its network")
        if self.volume not in [m.get("Name") for m in attrs["Mounts"]]:
            found.append("volume not mounted")
        if attrs["Config"]["Cmd"] != ["sleep", "3600"]:
            found.append(f"command {attrs['Config']['Cmd']}")
        if "DRIFT=1" in (attrs["Config"]["Env"] or []):
            found.append("environment set by hand")
        if web.labels.get("app.tier") != "web":
            found.append(f"label app.tier={web.labels.get('app.tier')}")
        if attrs["Image"] != self.client.images.get(self.image).id:
            found.append("old image")
        names = [
            c.name
            for c in self.client.containers.list(
                all=True, filters={"label": f"{LABEL}={self.proj.name}"}
            )
        ]
        if names != [self.container]:
            found.append(f"containers {sorted(names)}")
        if not self.proj.converged():
            found.append("plan not empty: " + self.proj.diff_text()[-200:])
        return found


def _kinds(d: Drift) -> list[tuple[str, Callable[[], None]]]:
    """The ten kinds of drift (the fifth in three variants)."""
    return [
        ("container stopped", lambda: d.web().stop(timeout=0)),
        ("container killed", lambda: d.web().kill()),
        ("container removed", lambda: d.web().remove(force=True)),
        ("container renamed", lambda: d.web().rename(d.container + "-moved")),
        (
            "recreated by hand with labels copied: other command",
            lambda: d.recreate_by_hand(command=["sleep", "3599"]),
        ),
        (
            "recreated by hand with labels copied: other image",
            lambda: d.recreate_by_hand(image=OTHER_IMAGE),
        ),
        (
            "recreated by hand with labels copied: other environment",
            d.recreate_later_with_env,
        ),
        (
            "network disconnected",
            lambda: d.client.networks.get(d.network).disconnect(d.container),
        ),
        ("network removed", d.remove_network),
        ("volume removed while unused", d.remove_volume),
        (
            "label edited by recreating",
            lambda: d.recreate_by_hand(labels={"app.tier": "edited"}),
        ),
        ("image retagged", d.retag),
    ]


@pytest.fixture(name="drift")
def drift_fixture(proj: Proj) -> Iterator[Drift]:
    """The deployed project, with its own image tag removed afterwards."""
    image = f"reldrift{uuid.uuid4().hex[:8]}:v"
    client = docker.from_env()
    client.images.get(IMAGE).tag(image)
    proj.write(APP.format(image=image))
    proj.up()
    drift = Drift(proj, image)
    yield drift
    for c in client.containers.list(
        all=True, filters={"label": f"{LABEL}={proj.name}"}
    ):
        c.remove(force=True)
    for ref in [image, *drift.made_images]:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(ref, force=True)


def test_drift_kinds(drift: Drift) -> None:
    """One ``up`` fixes each kind of drift and the plan after it is empty."""
    assert drift.problems() == []
    failed: dict[str, list[str]] = {}
    kinds = _kinds(drift)
    for kind, make in kinds:
        make()
        proc = drift.proj.run("up", "-d", "-t", "0")
        found = [] if proc.returncode == 0 else [f"up failed: {proc.stderr[-300:]}"]
        found += drift.problems()
        if found:
            failed[kind] = found
            drift.proj.run("down", "-t", "0", "--remove-orphans")
            for c in drift.client.containers.list(
                all=True, filters={"name": drift.container}
            ):
                c.remove(force=True)
            drift.proj.up()
    fixed = len(kinds) - len(failed)
    lines = [
        f"kinds of drift: {len(kinds)}",
        f"fixed by one up with an empty plan after: {fixed} "
        f"({100.0 * fixed / len(kinds):.0f} %, goal 100 %)",
        *(f"  FAILED {kind}: {'; '.join(why)}" for kind, why in failed.items()),
    ]
    text = report("drift", lines)
    assert not failed, text
