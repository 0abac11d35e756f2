"""Apply under the project's lease, re-reading the engine once the lease is held.

A plan computed before the lease was taken may be stale: another writer may
have applied in between.  So every writer observes and plans again while it
holds the lease, and applies that plan, never the earlier one.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

from composer.engine.apply import ApplyOptions, apply, apply_down
from composer.engine.client import Engine
from composer.engine.lease import command_line, hold
from composer.engine.observe import Actual, observe
from composer.engine.report import Reporter
from composer.graph import Desired
from composer.plan import DownOptions, Plan, PlanOptions, plan, plan_down

log = logging.getLogger(__name__)

#: Narrows a fresh plan before it is applied (restart policy, back-off).
PlanFilter = Callable[[Plan, Actual], Plan]


@dataclass(frozen=True)
class Outcome:
    """The plan that was applied under the lease, and the state it started from."""

    plan: Plan
    actual: Actual
    replanned: bool


def up_locked(
    engine: Engine,
    desired: Desired,
    planned: Plan,
    plan_options: PlanOptions,
    apply_options: ApplyOptions,
    reporter: Reporter,
    lock_timeout: float | None,
    narrow: PlanFilter | None = None,
) -> Outcome:
    """Take the lease, plan again on fresh state, apply that plan, release."""
    images = _images(desired)
    with hold(
        engine, desired.project, command_line(), lock_timeout, None, images
    ) as lease:
        guarded = dataclasses.replace(apply_options, guard=lease.check)
        actual = observe(engine, desired.project)
        fresh = plan(desired, actual, plan_options)
        if narrow is not None:
            fresh = narrow(fresh, actual)
        replanned = fresh.steps != planned.steps
        if replanned:
            log.info("the plan changed while waiting for the lease")
        if not fresh.empty or apply_options.wait:
            apply(engine, desired, actual, fresh, reporter, guarded)
    return Outcome(fresh, actual, replanned)


def down_locked(
    engine: Engine,
    desired: Desired,
    down_options: DownOptions,
    apply_options: ApplyOptions,
    reporter: Reporter,
    lock_timeout: float | None,
) -> Plan:
    """Take the lease, plan ``down`` on fresh state, apply it, release."""
    images = _images(desired)
    with hold(
        engine, desired.project, command_line(), lock_timeout, None, images
    ) as lease:
        guarded = dataclasses.replace(apply_options, guard=lease.check)
        actual = observe(engine, desired.project)
        fresh = plan_down(desired, actual, down_options)
        if not fresh.empty:
            apply_down(engine, desired, fresh, reporter, guarded, actual)
    return fresh


def _images(desired: Desired) -> tuple[str, ...]:
    """The project's images, preferred to build the lease container from."""
    return tuple(dict.fromkeys(n.image for n in desired.services.values() if n.image))
