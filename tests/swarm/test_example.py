"""examples/postgres-dotnet on a private swarm: services, a rolling update, down.

The example runs from its local images (compose.local.yaml) with one more
override that names the stand-in app's image (a swarm does not build), asks
for replicas and a start-first update of the app, and makes the database
reachable without IPVS.
"""

from __future__ import annotations

import json
import shutil
from typing import Any

from swarm.conftest import ROOT, SwarmProject
from swarm.tasks import (
    env_of,
    replacements,
    running,
    running_ids,
    started_before_stopped,
)

EXAMPLE = ROOT / "examples" / "postgres-dotnet"
FILES = ("compose.yaml", "compose.local.yaml", "compose.swarm.yaml")
# The kernels CI runs on may lack IPVS, which virtual IPs and the ingress
# routing mesh need: the database is reached by DNS round robin and publishes
# its port on the node (the app keeps the default virtual IP and ingress port,
# which Swarm sets up without IPVS; nothing here connects through them).
SWARM_OVERRIDE = """
services:
  mi-postgres:
    ports: !override
      - {target: 5432, published: 5433, mode: host}
    deploy:
      replicas: 1
      endpoint_mode: dnsrr
  mi-aplicacion:
    image: composer-test/postgres-dotnet-app:local
    deploy:
      replicas: 2
      update_config:
        order: start-first
        parallelism: 1
"""
GREETING = """
services:
  mi-aplicacion:
    environment:
      GREETING: hola
"""


def _example(p: SwarmProject) -> SwarmProject:
    shutil.copytree(EXAMPLE, p.path, dirs_exist_ok=True)
    p.write(SWARM_OVERRIDE, "compose.swarm.yaml")
    p.files = FILES
    return p


def _steps(p: SwarmProject) -> set[tuple[str, str, str]]:
    plan: dict[str, Any] = json.loads(
        p.run("diff", "--target", "swarm", "--format", "json").stdout
    )
    return {(s["action"], s["kind"], s["name"]) for s in plan["steps"]}


def test_example_deploys_rolls_one_service_and_goes(
    swarm_project: SwarmProject,
) -> None:
    """The example runs as stack services; an environment change rolls only the app.

    The app's update is start-first: each new task ran before the task it
    replaced was shut down. The database's service and task are untouched.
    ``diff --exit-code`` is 0 after each ``up``; ``down -v`` leaves nothing.
    """
    p = _example(swarm_project)
    db, app = f"{p.name}_mi-postgres", f"{p.name}_mi-aplicacion"

    assert {("create", "service", db), ("create", "service", app)} <= _steps(p)
    p.run("up", "--target", "swarm", "--wait", "--wait-timeout", "240")
    p.run("diff", "--target", "swarm", "--exit-code")

    services = p.services()
    assert sorted(services) == [app, db]
    assert services[app].attrs["Spec"]["Mode"] == {"Replicated": {"Replicas": 2}}
    assert services[db].attrs["Spec"]["Mode"] == {"Replicated": {"Replicas": 1}}
    assert services[app].attrs["Spec"]["UpdateConfig"]["Order"] == "start-first"
    # Running means healthy here: the app's health check asks the database,
    # which it reaches by service name over the project's overlay network.
    assert len(running(services[app])) == 2
    assert len(running(services[db])) == 1
    listed = p.stack("ps", p.name, "--format", "{{.Name}} {{.DesiredState}}")
    for task in (f"{app}.1", f"{app}.2", f"{db}.1"):
        assert f"{task} Running" in listed, listed
    assert p.name in p.stack("ls", "--format", "{{.Name}}")

    db_version = services[db].attrs["Version"]["Index"]
    db_tasks = running_ids(services[db])
    app_tasks = running_ids(services[app])
    p.write(GREETING, "greeting.yaml")
    p.files = (*FILES, "greeting.yaml")
    assert _steps(p) == {("update", "service", app)}
    p.run("up", "--target", "swarm", "--wait", "--wait-timeout", "240")
    p.run("diff", "--target", "swarm", "--exit-code")

    services = p.services()
    assert services[db].attrs["Version"]["Index"] == db_version
    assert running_ids(services[db]) == db_tasks
    pairs = replacements(services[app], app_tasks)
    assert len(pairs) == 2
    for old, new in pairs:
        assert "GREETING=hola" in env_of(new)
        assert "GREETING=hola" not in env_of(old)
        assert started_before_stopped(old, new), (old["Status"], new["Status"])

    p.run("down", "--target", "swarm", "--volumes")
    assert p.leftovers() == []
    assert p.name not in p.stack("ls", "--format", "{{.Name}}")
