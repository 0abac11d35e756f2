"""Plan stage: a pure function from desired and observed state to a Plan.

A Plan is frozen data: ordered steps, each an enum action on one network,
volume or container, with a readable reason and the field differences that
caused it.  Nothing here performs I/O.
"""

from composer.plan.down import DownOptions, plan_down
from composer.plan.model import Action, FieldDiff, Kind, Plan, Step
from composer.plan.planner import PlanOptions, plan

__all__ = [
    "Action",
    "DownOptions",
    "FieldDiff",
    "Kind",
    "Plan",
    "PlanOptions",
    "Step",
    "plan",
    "plan_down",
]
