"""Swarm jobs: a replicated job runs to completion once per spec."""

from __future__ import annotations

from swarm.conftest import SwarmProject

JOB = """
x-composer:
  target: swarm
services:
  migrate:
    image: composer-test/busybox:latest
    command: ["sh", "-c", "echo migrating $$STEP"]
    environment:
      STEP: "@STEP@"
    deploy:
      mode: replicated-job
      replicas: 2
"""


def _runs(p: SwarmProject) -> dict[int, list[str]]:
    """The job's task states, by job iteration (one iteration per run)."""
    service = p.services()[f"{p.name}_migrate"]
    out: dict[int, list[str]] = {}
    for task in service.tasks():
        # The engine leaves out a zero index (the first run).
        index = int(task["JobIteration"].get("Index", 0))
        out.setdefault(index, []).append(task["Status"]["State"])
    return out


def test_replicated_job_completes_once_per_spec(swarm_project: SwarmProject) -> None:
    """up --wait waits for the completions; an unchanged job is not re-run."""
    p = swarm_project
    p.write(JOB.replace("@STEP@", "1"))
    up = p.run("up", "--wait", "--wait-timeout", "120")
    assert "2/2 completed" in up.stdout + up.stderr, up.stdout + up.stderr
    spec = p.services()[f"{p.name}_migrate"].attrs["Spec"]
    assert spec["Mode"] == {
        "ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 2}
    }
    first = _runs(p)
    assert [sorted(states) for states in first.values()] == [["complete", "complete"]]
    p.run("diff", "--exit-code")

    p.run("up", "--wait", "--wait-timeout", "120")
    assert _runs(p) == first

    p.write(JOB.replace("@STEP@", "2"))
    p.run("diff", "--exit-code", code=2)
    p.run("up", "--wait", "--wait-timeout", "120")
    runs = _runs(p)
    latest = max(runs)
    assert latest > max(first)
    assert sorted(runs[latest]) == ["complete", "complete"]
    p.run("diff", "--exit-code")

    p.run("down")
    assert p.leftovers() == []


FAILING = """
x-composer:
  target: swarm
services:
  migrate:
    image: composer-test/busybox:latest
    command: ["sh", "-c", "exit @CODE@"]
    deploy:
      mode: replicated-job
      restart_policy: {condition: none}
"""


def test_failed_job_is_reported(swarm_project: SwarmProject) -> None:
    """up --wait fails naming the task's error; a fixed spec runs the job again."""
    p = swarm_project
    p.write(FAILING.replace("@CODE@", "3"))
    failed = p.run("up", "--wait", "--wait-timeout", "120", code=1)
    assert f"service {p.name}_migrate: job failed" in failed.stderr, failed.stderr
    assert "non-zero exit (3)" in failed.stderr, failed.stderr

    p.write(FAILING.replace("@CODE@", "0"))
    p.run("up", "--wait", "--wait-timeout", "120")
    p.run("diff", "--exit-code")
    p.run("down")
    assert p.leftovers() == []
