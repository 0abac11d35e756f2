"""Reading a service's tasks: what runs, where, and in which order it changed."""

from __future__ import annotations

from typing import Any

import docker.models.services

Task = dict[str, Any]


def running(service: docker.models.services.Service) -> list[Task]:
    """The service's tasks that run and are meant to."""
    return [
        t
        for t in service.tasks()
        if t["DesiredState"] == "running" and t["Status"]["State"] == "running"
    ]


def running_ids(service: docker.models.services.Service) -> set[str]:
    """IDs of the service's running tasks."""
    return {t["ID"] for t in running(service)}


def instant(stamp: str) -> tuple[str, int]:
    """An engine timestamp (RFC 3339, up to nanoseconds) as a sortable value.

    The engine drops trailing zeros of the fraction, so the strings themselves
    do not sort; this pads the fraction to nanoseconds.
    """
    stamp = stamp.rstrip("Z")
    whole, _, fraction = stamp.partition(".")
    return whole, int((fraction + "000000000")[:9])


def replacements(
    service: docker.models.services.Service, old_ids: set[str]
) -> list[tuple[Task, Task]]:
    """Pairs (old task, its running replacement in the same slot) after an update."""
    tasks = service.tasks()
    by_id = {t["ID"]: t for t in tasks}
    pairs = []
    for old_id in sorted(old_ids):
        old = by_id[old_id]
        new = [
            t
            for t in tasks
            if t.get("Slot") == old.get("Slot")
            and t["ID"] not in old_ids
            and t["DesiredState"] == "running"
            and t["Status"]["State"] == "running"
        ]
        assert len(new) == 1, (old, new)
        pairs.append((old, new[0]))
    return pairs


def started_before_stopped(old: Task, new: Task) -> bool:
    """Whether ``new`` ran before ``old`` was shut down (start-first).

    ``old``'s status time is when it reached ``shutdown``; ``new``'s is when it
    reached ``running`` (after its health check passed, when it has one).
    Both come from the same engine's clock.
    """
    assert old["Status"]["State"] in ("shutdown", "complete"), old["Status"]
    return instant(new["Status"]["Timestamp"]) < instant(old["Status"]["Timestamp"])


def env_of(task: Task) -> list[str]:
    """The ``KEY=value`` environment a task runs with."""
    return list(task["Spec"]["ContainerSpec"].get("Env") or [])
