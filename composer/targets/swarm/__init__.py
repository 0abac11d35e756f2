"""The Docker Swarm target: the same project as Swarm services, through the API.

``desired`` turns a loaded Project into :class:`SwarmDesired` (pure, apart from
reading the files of ``secrets`` and ``configs``); ``observe`` reads the
manager's state for one project into :class:`SwarmActual` with a fixed number
of list calls; ``planner`` compares the two and returns the same
:class:`~composer.plan.Plan` the single-engine planner returns, with no I/O;
``apply`` is the only code here that changes the swarm. Objects carry the
labels ``docker stack`` writes (``com.docker.stack.namespace``), so ``docker
stack services PROJECT`` and ``docker stack ps PROJECT`` see the project.
"""

from composer.targets.swarm.model import (
    NAMESPACE_LABEL,
    SwarmActual,
    SwarmDesired,
)

__all__ = ["NAMESPACE_LABEL", "SwarmActual", "SwarmDesired"]
