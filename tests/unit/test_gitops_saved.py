"""Saved plans: fingerprints, staleness checks and the plan JSON schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from composer.engine.observe import Actual, ObservedContainer
from composer.errors import ConfigError, ExitCode
from composer.gitops.saved import (
    SavedOptions,
    StalePlanError,
    check,
    read_saved,
    save,
    state_fingerprint,
)
from composer.plan import Action, FieldDiff, Kind, Plan, Step

ROOT = Path(__file__).resolve().parents[2]
SCHEMA: dict[str, Any] = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


def _container(state: str = "running", cid: str = "c1") -> ObservedContainer:
    return ObservedContainer(cid, "p-web-1", "web", 1, state, "sha256:i", {"a": "b"})


def _plan() -> Plan:
    steps = (
        Step(Action.CREATE, Kind.NETWORK, "p_default", "not found"),
        Step(
            Action.RECREATE,
            Kind.CONTAINER,
            "p-web-1",
            "configuration changed",
            "web",
            1,
            "c1",
            (
                FieldDiff("environment.A", "1", "2"),
                FieldDiff("environment.B_TOKEN", None, "x", sensitive=True),
            ),
        ),
        Step(Action.PULL, Kind.IMAGE, "busybox:latest", "not present"),
    )
    return Plan("p", steps, warnings=("w",))


def test_fingerprint_follows_the_live_state() -> None:
    one = state_fingerprint(Actual("p", (_container(),)))
    assert one == state_fingerprint(Actual("p", (_container(),)))
    assert one != state_fingerprint(Actual("p", (_container("exited"),)))
    assert one != state_fingerprint(Actual("p", (_container(cid="c2"),)))
    assert one != state_fingerprint(Actual("p"))
    mine = Actual("p", images={"app:1": "sha256:a"})
    other = Actual("p", images={"app:1": "sha256:a", "x:1": "sha256:x"})
    assert state_fingerprint(mine, ["app:1"]) == state_fingerprint(other, ["app:1"])
    moved = Actual("p", images={"app:1": "sha256:b"})
    assert state_fingerprint(mine, ["app:1"]) != state_fingerprint(moved, ["app:1"])


def test_check_refuses_stale_plans() -> None:
    actual = Actual("p", (_container(),))
    state = state_fingerprint(actual)
    data = json.loads(save(_plan(), state, "sha256:" + "0" * 64, SavedOptions()))
    check(data, state=state, files="sha256:" + "0" * 64, plan=_plan())
    with pytest.raises(StalePlanError, match="files changed"):
        check(data, state=state, files="sha256:" + "1" * 64, plan=_plan())
    with pytest.raises(StalePlanError, match="live state changed"):
        check(data, state="sha256:x", files="sha256:" + "0" * 64, plan=_plan())
    with pytest.raises(StalePlanError, match="other steps"):
        check(data, state=state, files="sha256:" + "0" * 64, plan=Plan("p"))
    assert StalePlanError("x").exit_code == ExitCode.FAILED


def test_saved_plan_and_plan_match_the_schema(tmp_path: Path) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    plan_json = _plan().to_json()
    jsonschema.validate(plan_json, SCHEMA)
    state = state_fingerprint(Actual("p"))
    saved = json.loads(save(_plan(), state, "sha256:" + "0" * 64, SavedOptions()))
    jsonschema.validate(saved, {"$ref": "#/$defs/savedPlan", "$defs": SCHEMA["$defs"]})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(saved))
    assert read_saved(str(path)) == saved


def test_schema_rejects_what_is_not_a_plan() -> None:
    broken = _plan().to_json()
    broken["steps"][0]["action"] = "explode"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


@pytest.mark.parametrize("content", ["", "{}", '{"format": 99}', "[1]"])
def test_not_a_saved_plan(tmp_path: Path, content: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match="not a saved plan"):
        read_saved(str(path))


def test_saved_options_round_trip() -> None:
    options = SavedOptions(("web",), True, False, True)
    assert SavedOptions.from_json(options.to_json()) == options
