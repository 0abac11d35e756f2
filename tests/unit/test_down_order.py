"""The order in which `down` removes containers: dependents first."""

from __future__ import annotations

from composer.engine.apply import removal_levels
from composer.plan.model import Action, Kind, Step


def _step(service: str, number: int = 1) -> Step:
    name = f"p-{service}-{number}"
    return Step(Action.REMOVE, Kind.CONTAINER, name, "down", service, number, name)


def _names(levels: list[list[Step]]) -> list[list[str]]:
    return [sorted(s.name for s in level) for level in levels]


def test_dependents_go_first_and_a_level_goes_at_once() -> None:
    steps = [_step("db"), _step("api"), _step("api", 2), _step("web"), _step("solo")]
    depends = {"web": {"api"}, "api": {"db"}, "db": set(), "solo": set()}
    assert _names(removal_levels(steps, depends)) == [
        ["p-solo-1", "p-web-1"],
        ["p-api-1", "p-api-2"],
        ["p-db-1"],
    ]


def test_dependencies_outside_the_steps_and_cycles() -> None:
    # web's dependency api is not removed (not in the plan): no wait for it.
    steps = [_step("web"), _step("db")]
    assert _names(removal_levels(steps, {"web": {"api"}, "api": {"db"}})) == [
        ["p-db-1", "p-web-1"]
    ]
    # A cycle from hand-made labels still removes everything, last.
    steps = [_step("a"), _step("b"), _step("c")]
    depends = {"a": {"b"}, "b": {"a"}, "c": {"a"}}
    assert _names(removal_levels(steps, depends)) == [["p-c-1"], ["p-a-1", "p-b-1"]]
