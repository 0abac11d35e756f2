"""Observe through a fake lister, and the down planner's table."""

from __future__ import annotations

from typing import Any

import pytest
from planstates import actual, container, desired

from composer.engine.labels import PROJECT, SERVICE
from composer.engine.observe import observe
from composer.plan import DownOptions, plan, plan_down

SLEEP = {"command": ["sleep", "3600"]}


class FakeEngine:
    """Answers the four list calls like an engine whose filter is too loose."""

    def __init__(self, containers: list[dict[str, Any]]) -> None:
        self.containers = containers
        self.calls = 0

    def list_containers(self, project: str) -> list[dict[str, Any]]:
        self.calls += 1
        return self.containers

    def list_networks(self) -> list[dict[str, Any]]:
        self.calls += 1
        return [{"Name": "app_default", "Id": "n1", "Labels": {PROJECT: "app"}}]

    def list_volumes(self) -> list[dict[str, Any]]:
        self.calls += 1
        return []

    def list_images(self) -> list[dict[str, Any]]:
        self.calls += 1
        return [{"Id": "sha256:aaa", "RepoTags": ["busybox:local"]}]


def _raw(project: str, service: str, status: str = "Up 2 minutes") -> dict[str, Any]:
    return {
        "Id": f"{project}{service}",
        "Names": [f"/{project}-{service}-1"],
        "State": "running",
        "Status": status,
        "ImageID": "sha256:aaa",
        "Labels": {
            PROJECT: project,
            SERVICE: service,
            "com.docker.compose.container-number": "1",
        },
        "NetworkSettings": {"Networks": {f"{project}_default": {}}},
    }


def test_observe_never_takes_another_projects_containers() -> None:
    """``app2``'s containers never appear in ``app``'s snapshot."""
    engine = FakeEngine([_raw("app", "web"), _raw("app2", "web")])
    snapshot = observe(engine, "app")
    assert [c.id for c in snapshot.containers] == ["appweb"]
    assert engine.calls == 4
    state = desired({"web": dict(SLEEP)})
    assert plan(state, snapshot).orphans == ()


@pytest.mark.parametrize(
    ("status", "health", "code"),
    [
        ("Up 3 seconds (healthy)", "healthy", None),
        ("Up 3 seconds (unhealthy)", "unhealthy", None),
        ("Up 1 second (health: starting)", "starting", None),
        ("Exited (3) 2 seconds ago", None, 3),
    ],
)
def test_observe_reads_health_and_exit_code(
    status: str, health: str | None, code: int | None
) -> None:
    """Health and exit code come from the list's status text."""
    found = observe(FakeEngine([_raw("app", "web", status)]), "app").containers[0]
    assert (found.health, found.exit_code) == (health, code)


def test_down_removes_containers_and_networks_but_not_volumes() -> None:
    """Plain down keeps volumes; -v removes the project's, never external ones."""
    state = desired(
        {
            "web": dict(
                SLEEP, volumes=[{"type": "volume", "source": "data", "target": "/d"}]
            )
        },
        volumes={
            "data": {"name": "app_data"},
            "ext": {"name": "ext", "external": True},
        },
    )
    observed = actual(state, (container(state, "web"),), volumes=("data",))
    got = [
        (s.action.value, s.name)
        for s in plan_down(state, observed, DownOptions()).steps
    ]
    assert got == [("remove", "app-web-1"), ("remove", "app_default")]
    with_v = plan_down(state, observed, DownOptions(volumes=True))
    assert ("remove", "app_data") in [(s.action.value, s.name) for s in with_v.steps]
    assert "ext" not in [s.name for s in with_v.steps]


def test_down_keeps_network_used_by_orphans() -> None:
    """Without --remove-orphans, orphans and their network stay."""
    state = desired({"two": dict(SLEEP)})
    orphan = container(desired({"one": dict(SLEEP)}), "one")
    orphan = type(orphan)(**{**orphan.__dict__, "networks": ("app_default",)})
    observed = actual(state, (container(state, "two"), orphan))
    result = plan_down(state, observed, DownOptions())
    assert [s.name for s in result.steps] == ["app-two-1"]
    assert result.orphans == ("app-one-1",)
    every = plan_down(state, observed, DownOptions(remove_orphans=True))
    assert [s.name for s in every.steps] == ["app-two-1", "app-one-1", "app_default"]


def test_undeclared_networks_and_volumes_are_reported_not_touched() -> None:
    """A network or volume the file dropped is a warning, never a step."""
    state = desired({"web": dict(SLEEP)})
    observed = actual(
        state,
        (container(state, "web"),),
        networks=("default", "old"),
        volumes=("gone",),
    )
    result = plan(state, observed)
    assert result.empty
    assert any("app_old" in w for w in result.warnings)
    assert any("app_gone" in w for w in result.warnings)


def test_unreachable_engine_is_a_clear_engine_error() -> None:
    """No engine at the address: EngineError naming it, cause kept."""
    from composer.engine.client import Engine
    from composer.errors import EngineError

    engine = Engine("unix:///nonexistent/docker.sock")
    with pytest.raises(EngineError, match="cannot reach the Docker engine at unix:"):
        observe(engine, "app")
