"""Planner tables: desired and observed state in, expected steps out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from planstates import actual, container, desired

from composer.engine.observe import Actual
from composer.graph import Desired, GraphOptions
from composer.plan import Action, PlanOptions, plan

SLEEP = {"command": ["sleep", "3600"]}


@dataclass(frozen=True)
class Case:
    """One row: how to build the states and what the plan must hold."""

    id: str
    services: dict[str, Any]
    observe: Callable[[Desired], Actual]
    expect: list[tuple[str, str]]
    options: PlanOptions = field(default_factory=PlanOptions)
    graph: GraphOptions = field(default_factory=GraphOptions)
    diffs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    top: dict[str, Any] = field(default_factory=dict)


def _old(services: dict[str, Any], **top: Any) -> Desired:
    return desired(services, **top)


WEB = {"web": dict(SLEEP, environment={"A": "1"})}
WEB2 = {"web": dict(SLEEP, environment={"A": "2", "B": "x"})}

CASES = [
    Case(
        "first up creates network and container",
        WEB,
        lambda d: actual(d, networks=()),
        [("create", "app_default"), ("create", "app-web-1")],
    ),
    Case(
        "converged project plans nothing",
        WEB,
        lambda d: actual(d, (container(d, "web"),)),
        [],
    ),
    Case(
        "environment change recreates and names the fields",
        WEB2,
        lambda d: actual(d, (container(_old(WEB), "web"),)),
        [("recreate", "app-web-1")],
        diffs=["environment.A", "environment.B"],
    ),
    Case(
        "moving to another network (null-valued keys) recreates",
        {"web": dict(SLEEP, networks={"two": None})},
        lambda d: actual(
            d,
            (container(_old({"web": dict(SLEEP, networks={"one": None})}), "web"),),
            networks=("two",),
        ),
        [("recreate", "app-web-1")],
        diffs=["networks.one", "networks.two"],
        top={"networks": {"one": {"name": "app_one"}, "two": {"name": "app_two"}}},
    ),
    Case(
        "recreating a dependency restarts dependents that ask for it",
        {
            "db": dict(SLEEP, environment={"V": "2"}),
            "web": dict(SLEEP, depends_on={"db": {"restart": True}}),
            "api": dict(SLEEP, depends_on={"db": {}}),
        },
        lambda d: actual(
            d,
            (
                container(_old({"db": dict(SLEEP, environment={"V": "1"})}), "db"),
                container(d, "web"),
                container(d, "api"),
            ),
        ),
        [("recreate", "app-db-1"), ("restart", "app-web-1")],
        diffs=["environment.V"],
    ),
    Case(
        "--no-recreate keeps a changed container",
        WEB2,
        lambda d: actual(d, (container(_old(WEB), "web"),)),
        [],
        options=PlanOptions(no_recreate=True),
    ),
    Case(
        "--force-recreate recreates an unchanged container",
        WEB,
        lambda d: actual(d, (container(d, "web"),)),
        [("recreate", "app-web-1")],
        options=PlanOptions(force_recreate=True),
    ),
    Case(
        "new local image ID behind the same tag recreates",
        WEB,
        lambda d: actual(d, (container(d, "web", image_id="sha256:old"),), images=None),
        [("recreate", "app-web-1")],
        diffs=["image ID"],
    ),
    Case(
        "stopped container is started, not recreated",
        WEB,
        lambda d: actual(d, (container(d, "web", status="exited", exit_code=137),)),
        [("start", "app-web-1")],
    ),
    Case(
        "up starts a container that exited with code 0, as Compose does",
        WEB,
        lambda d: actual(d, (container(d, "web", status="exited", exit_code=0),)),
        [("start", "app-web-1")],
    ),
    Case(
        "a loop leaves a completed one-shot alone (restart: no)",
        WEB,
        lambda d: actual(d, (container(d, "web", status="exited", exit_code=0),)),
        [],
        options=PlanOptions(start_completed=False),
    ),
    Case(
        "a loop leaves a completed one-shot alone (restart: on-failure)",
        {"web": dict(SLEEP, restart="on-failure:3")},
        lambda d: actual(d, (container(d, "web", status="exited", exit_code=0),)),
        [],
        options=PlanOptions(start_completed=False),
    ),
    Case(
        "a loop starts a completed container whose policy is always",
        {"web": dict(SLEEP, restart="always")},
        lambda d: actual(d, (container(d, "web", status="exited", exit_code=0),)),
        [("start", "app-web-1")],
        options=PlanOptions(start_completed=False),
    ),
    Case(
        "a loop starts a completed container whose policy is unless-stopped",
        {"web": dict(SLEEP, restart="unless-stopped")},
        lambda d: actual(d, (container(d, "web", status="exited", exit_code=0),)),
        [("start", "app-web-1")],
        options=PlanOptions(start_completed=False),
    ),
    Case(
        "a loop starts a container that failed",
        WEB,
        lambda d: actual(d, (container(d, "web", status="exited", exit_code=1),)),
        [("start", "app-web-1")],
        options=PlanOptions(start_completed=False),
    ),
    Case(
        "scale up creates the missing numbers",
        {"web": dict(SLEEP, deploy={"replicas": 3})},
        lambda d: actual(d, (container(d, "web"),)),
        [("create", "app-web-2"), ("create", "app-web-3")],
    ),
    Case(
        "scale down removes the highest numbers",
        {"web": dict(SLEEP, scale=1)},
        lambda d: actual(d, tuple(container(d, "web", n) for n in (1, 2, 3))),
        [("remove", "app-web-2"), ("remove", "app-web-3")],
    ),
    Case(
        "scale down removes outdated replicas first",
        {"web": dict(SLEEP, environment={"A": "2"}, scale=2)},
        lambda d: actual(
            d,
            (
                container(d, "web", 1),
                container(_old(WEB), "web", 2),
                container(d, "web", 3),
            ),
        ),
        [("remove", "app-web-2")],
    ),
    Case(
        "--scale on the command line wins",
        WEB,
        lambda d: actual(d, (container(d, "web"),)),
        [("create", "app-web-2")],
        graph=GraphOptions(scale={"web": 2}),
    ),
    Case(
        "orphans are reported, not removed",
        WEB,
        lambda d: actual(
            d,
            (container(d, "web"), container(_old({"old": dict(SLEEP)}), "old")),
        ),
        [],
    ),
    Case(
        "--remove-orphans removes them",
        WEB,
        lambda d: actual(
            d,
            (container(d, "web"), container(_old({"old": dict(SLEEP)}), "old")),
        ),
        [("remove", "app-old-1")],
        options=PlanOptions(remove_orphans=True),
    ),
    Case(
        "missing external network is a problem, never created",
        {"web": dict(SLEEP, networks={"edge": None})},
        lambda d: actual(d, networks=()),
        [("create", "app-web-1")],
        problems=["network edge declared as external, but could not be found"],
        top={"networks": {"edge": {"name": "edge", "external": True}}},
    ),
    Case(
        "present external network is used as it is",
        {"web": dict(SLEEP, networks={"edge": None})},
        lambda d: actual(d, networks=(), foreign_networks=("edge",)),
        [("create", "app-web-1")],
        top={"networks": {"edge": {"name": "edge", "external": True}}},
    ),
    Case(
        "missing image is pulled first",
        {"web": dict(SLEEP, image="nothere:1")},
        lambda d: actual(d),
        [("pull", "nothere:1"), ("create", "app-web-1")],
    ),
    Case(
        "missing image with pull_policy never is a problem",
        {"web": dict(SLEEP, image="nothere:1", pull_policy="never")},
        lambda d: actual(d),
        [("create", "app-web-1")],
        problems=["image nothere:1 of service web is not present locally"],
    ),
    Case(
        "named service brings its dependencies",
        {
            "db": dict(SLEEP),
            "web": dict(SLEEP, depends_on={"db": {}}),
            "x": dict(SLEEP),
        },
        lambda d: actual(d),
        [("create", "app-db-1"), ("create", "app-web-1")],
        graph=GraphOptions(services=("web",)),
    ),
    Case(
        "--no-deps leaves dependencies alone",
        {"db": dict(SLEEP), "web": dict(SLEEP, depends_on={"db": {}})},
        lambda d: actual(d),
        [("create", "app-web-1")],
        graph=GraphOptions(services=("web",), no_deps=True),
    ),
    Case(
        "leftover of an interrupted recreate is removed",
        WEB,
        lambda d: actual(
            d,
            (
                container(d, "web"),
                container(d, "web", ident="tmp" + "0" * 12, name="abc_app-web-1"),
            ),
        ),
        [("remove", "abc_app-web-1")],
    ),
    Case(
        "changed secret content recreates",
        {"web": dict(SLEEP, secrets=[{"source": "tok"}])},
        lambda d: actual(
            d,
            (
                container(
                    desired(
                        {"web": dict(SLEEP, secrets=[{"source": "tok"}])},
                        top={"secrets": {"tok": {"file": "/old"}}},
                    ),
                    "web",
                ),
            ),
        ),
        [("recreate", "app-web-1")],
        diffs=["content of secrets.tok"],
        top={"secrets": {"tok": {"file": "/new"}}},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_plan_table(case: Case) -> None:
    """Each row's plan has exactly the expected steps, diffs and problems."""
    state = desired(case.services, options=case.graph, **_top(case))
    result = plan(state, case.observe(state), case.options)
    got = [(s.action.value, s.name) for s in result.steps]
    assert got == case.expect
    names = [d.path for s in result.steps for d in s.diffs]
    assert names == case.diffs
    for want, problem in zip(case.problems, result.problems, strict=True):
        assert want in problem


def _top(case: Case) -> dict[str, Any]:
    return dict(case.top)


def test_plan_is_frozen() -> None:
    """A plan cannot be changed after it is made."""
    state = desired(WEB)
    result = plan(state, actual(state))
    with pytest.raises(AttributeError):
        result.steps = ()  # type: ignore[misc]
    assert Action.CREATE.symbol == "+"


def test_a_loop_says_why_it_leaves_a_completed_container_stopped() -> None:
    d = desired(WEB)
    a = actual(d, (container(d, "web", status="exited", exit_code=0),))
    looped = plan(d, a, PlanOptions(start_completed=False))
    assert looped.empty
    assert looped.notes == (
        "container app-web-1 completed (exit code 0) and its restart policy is "
        "no: left stopped; `composer up` starts it",
    )
    assert looped.to_json()["notes"] == list(looped.notes)
    explicit = plan(d, a)
    assert [s.reason for s in explicit.steps] == ["container is exited with code 0"]
    assert explicit.notes == () and "notes" not in explicit.to_json()
