"""Saved plans and secret masking against a real engine (issue 7)."""

from __future__ import annotations

import json
from pathlib import Path

import docker
import jsonschema
from reconcile_support import (  # noqa: F401
    Deployment,
    deployment_fixture,
)

COMPOSE = """
services:
  web:
    image: busybox:local
    command: ["sleep", "3600"]
    init: true
    env_file: app.env
    environment:
      DB_PASSWORD: @PW@
      MODE: one
    secrets: [db]
  other:
    image: busybox:local
    command: ["sleep", "3600"]
    init: true
secrets:
  db:
    file: ./db.secret
"""

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json").read_text()
)
SAVED = {"$ref": "#/$defs/savedPlan", "$defs": SCHEMA["$defs"]}

PLANTED = ("pw-planted-4711", "envfile-planted-0815", "secretfile-planted-1234")


def _write(d: Deployment, generation: int) -> None:
    pw, env_value, secret = (f"{value}-{generation}" for value in PLANTED)
    d.write(COMPOSE.replace("@PW@", pw))
    d.write(f"CREDENTIALS={env_value}\n", "app.env")
    d.write(secret, "db.secret")


def _no_secret(text: str) -> None:
    for planted in PLANTED:
        assert planted not in text, text


def test_secret_values_never_shown_but_changes_are(deployment: Deployment) -> None:
    d = deployment
    _write(d, 1)
    first = d.up()
    _no_secret(first.stdout + first.stderr)
    _write(d, 2)

    text = d.run("diff")
    _no_secret(text.stdout + text.stderr)
    for path in ("environment.DB_PASSWORD", "environment.CREDENTIALS"):
        assert path in text.stdout
    assert "content of secrets.db" in text.stdout

    checked = d.run("diff", "--exit-code", "--format", "json", ok=False)
    assert checked.returncode == 2
    data = json.loads(checked.stdout)
    jsonschema.validate(data, SCHEMA)
    _no_secret(json.dumps(data))
    diffs = {x["path"]: x for s in data["steps"] for x in s["diffs"]}
    assert diffs["environment.DB_PASSWORD"]["change"] == "changed"
    assert diffs["environment.DB_PASSWORD"]["sensitive"] is True
    assert diffs["environment.CREDENTIALS"]["sensitive"] is True

    planned = d.run("plan", "--out", "plan.json", "--format", "json")
    _no_secret(planned.stdout + planned.stderr)
    _no_secret((d.path / "plan.json").read_text())
    jsonschema.validate(json.loads(planned.stdout), SCHEMA)
    jsonschema.validate(json.loads((d.path / "plan.json").read_text()), SAVED)

    shown = d.run("diff", "--show-values")
    assert "pw-planted-4711-2" in shown.stdout

    applied = d.run("apply", "plan.json")
    _no_secret(applied.stdout + applied.stderr)
    d.assert_converged()


def test_fresh_plan_applies_and_stale_plans_are_refused(
    deployment: Deployment,
) -> None:
    d = deployment
    _write(d, 1)
    d.run("plan", "--out", "plan.json")
    applied = d.run("apply", "plan.json")
    assert "create container" in applied.stdout
    assert len(d.ids()) == 2
    d.assert_converged()

    # A container removed by someone after the plan was made.
    d.run("plan", "--out", "plan.json", "--force-recreate")
    docker.from_env().containers.get(f"{d.name}-other-1").remove(force=True)
    refused = d.run("apply", "plan.json", ok=False)
    assert refused.returncode == 1
    assert "live state changed" in refused.stderr
    assert f"{d.name}-other-1" not in d.ids()

    # A file edited after the plan was made.
    d.run("plan", "--out", "plan.json")
    _write(d, 3)
    before = d.ids()
    refused = d.run("apply", "plan.json", ok=False)
    assert refused.returncode == 1
    assert "files changed" in refused.stderr
    assert d.ids() == before

    d.up()
    d.assert_converged()


def test_a_saved_plan_is_not_applied_twice(deployment: Deployment) -> None:
    d = deployment
    _write(d, 1)
    d.run("plan", "--out", "plan.json")
    d.run("apply", "plan.json")
    again = d.run("apply", "plan.json", ok=False)
    assert again.returncode == 1
    assert "make a new plan" in again.stderr
    d.assert_converged()


def test_plan_file_is_not_a_plan(deployment: Deployment, tmp_path: Path) -> None:
    d = deployment
    _write(d, 1)
    bogus = tmp_path / "bogus.json"
    bogus.write_text("{}")
    result = d.run("apply", str(bogus), ok=False)
    assert result.returncode == 3
    assert "not a saved plan" in result.stderr
    assert d.ids() == {}
    d.up()
    d.assert_converged()
