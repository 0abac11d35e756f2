"""Restart policies and crash-loop back-off of the loop, as tables."""

from __future__ import annotations

import pytest

from composer.engine.observe import Actual, ObservedContainer
from composer.graph import Desired, ServiceNode
from composer.plan.model import Action, Kind, Plan, Step
from composer.watch.policy import CrashLoop, LoopPolicy, may_restart, restart_policy


def _container(
    state: str, exit_code: int | None, ident: str = "c1"
) -> ObservedContainer:
    return ObservedContainer(
        id=ident,
        name="p-web-1",
        service="web",
        number=1,
        state=state,
        image_id="sha256:x",
        exit_code=exit_code,
    )


@pytest.mark.parametrize(
    ("policy", "state", "code", "stopped", "expected"),
    [
        ("always", "exited", 137, True, True),
        ("always", "exited", 0, False, True),
        ("unless-stopped", "exited", 137, True, False),
        ("unless-stopped", "exited", 1, False, True),
        ("on-failure", "exited", 1, False, True),
        ("on-failure", "exited", 0, False, False),
        ("on-failure", "exited", 137, True, False),
        ("no", "exited", 1, False, False),
        ("no", "exited", 0, False, False),
        ("no", "created", None, False, True),
    ],
)
def test_may_restart(
    policy: str, state: str, code: int | None, stopped: bool, expected: bool
) -> None:
    """Each policy decides whether a stopped container comes back."""
    assert may_restart(policy, _container(state, code), stopped) is expected


def test_restart_policy_name() -> None:
    """`on-failure:3` is the on-failure policy; unset means no."""
    assert restart_policy({"restart": "on-failure:3"}) == "on-failure"
    assert restart_policy({}) == "no"


def test_crash_loop_backs_off_exponentially() -> None:
    """After the threshold, each further restart waits twice as long."""
    crash = CrashLoop(window=60, threshold=3, base=5, cap=40)
    assert [crash.record("web", t) for t in (0, 1, 2)] == [None, None, None]
    assert crash.record("web", 3) == 5
    assert crash.wait_left("web", 4) == pytest.approx(4)
    assert crash.wait_left("other", 4) == 0
    assert [crash.record("web", t) for t in (9, 10, 11)] == [None, None, None]
    assert crash.record("web", 12) == 10
    for t in (30, 31, 32):
        crash.record("web", t)
    assert crash.record("web", 33) == 20


def test_crash_loop_forgets_after_a_quiet_window() -> None:
    """Restarts spread wider than the window never back off."""
    crash = CrashLoop(window=10, threshold=2, base=5)
    assert all(crash.record("web", t) is None for t in range(0, 200, 11))


def _desired(restart: str) -> Desired:
    node = ServiceNode("web", {"image": "busybox", "restart": restart}, 1, (), (), ())
    return Desired("p", "/w", (), {}, {}, {"web": node}, ("web",), ("web",))


def _start_plan() -> Plan:
    step = Step(Action.START, Kind.CONTAINER, "p-web-1", "exited", "web", 1, "c1")
    return Plan("p", (step,))


def test_narrow_drops_starts_the_policy_forbids() -> None:
    """`restart: no` keeps a stopped container down; `always` starts it."""
    actual = Actual("p", (_container("exited", 137),))
    assert LoopPolicy().narrow(_desired("no"), _start_plan(), actual).plan.empty
    kept = LoopPolicy().narrow(_desired("always"), _start_plan(), actual).plan
    assert [s.action for s in kept.steps] == [Action.START]


def test_narrow_remembers_manual_stops_for_unless_stopped() -> None:
    """A container someone stopped stays down under unless-stopped."""
    actual = Actual("p", (_container("exited", 137),))
    policy = LoopPolicy()
    policy.saw_stop("c1")
    assert policy.narrow(_desired("unless-stopped"), _start_plan(), actual).plan.empty


def test_narrow_holds_back_a_crash_loop_and_says_so() -> None:
    """The restart past the threshold is held back with a note."""
    actual = Actual("p", (_container("exited", 1),))
    policy = LoopPolicy(CrashLoop(window=60, threshold=2, base=5))
    desired = _desired("on-failure")
    for now in (0.0, 1.0):
        assert not policy.narrow(desired, _start_plan(), actual, now).plan.empty
    held = policy.narrow(desired, _start_plan(), actual, 2.0)
    assert held.plan.empty
    assert any("backing off 5s" in n for n in held.notes)
    later = policy.narrow(desired, _start_plan(), actual, 3.0)
    assert later.plan.empty and any("next restart in" in n for n in later.notes)
    assert not policy.narrow(desired, _start_plan(), actual, 8.0).plan.empty


def test_removed_container_is_always_recreated() -> None:
    """A CREATE of a missing container passes whatever the policy."""
    step = Step(Action.CREATE, Kind.CONTAINER, "p-web-1", "not found", "web", 1)
    narrowed = LoopPolicy().narrow(_desired("no"), Plan("p", (step,)), Actual("p"))
    assert narrowed.plan.steps == (step,)


def test_narrow_says_why_a_stopped_container_stays_down() -> None:
    """Each start the policy drops is explained, not silently left out."""
    actual = Actual("p", (_container("exited", 137),))
    narrowed = LoopPolicy().narrow(_desired("no"), _start_plan(), actual)
    assert narrowed.plan.empty
    assert narrowed.kept == (
        "container p-web-1 exited with code 137 and its restart policy is no: "
        "left stopped; `composer up` starts it",
    )
    policy = LoopPolicy()
    policy.saw_stop("c1")
    held = policy.narrow(_desired("unless-stopped"), _start_plan(), actual)
    assert held.kept and "was stopped" in held.kept[0]
