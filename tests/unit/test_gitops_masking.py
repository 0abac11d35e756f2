"""Secret values are masked in plans while their changes still show (issue 7)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from rich.console import Console

from composer.cli.render import plan_json, render_plan
from composer.gitops.masking import Secrets, mask_plan, secrets_of
from composer.plan import Action, FieldDiff, Kind, Plan, Step
from composer.plan.config import compare
from composer.plan.model import MASK, secret_name
from composer.spec import load_project
from composer.spec.project import LoadOptions


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("DB_PASSWORD", True),
        ("api_token", True),
        ("CLIENT_SECRET", True),
        ("SSH_KEY", True),
        ("KEYCLOAK_URL", True),
        ("MODE", False),
        ("PATH", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert secret_name(name) is secret


def _plan(*diffs: FieldDiff) -> Plan:
    step = Step(
        Action.RECREATE,
        Kind.CONTAINER,
        "p-web-1",
        "configuration changed",
        "web",
        1,
        "abc",
        diffs,
    )
    return Plan("p", (step,))


def _rendered(plan: Plan) -> str:
    console = Console(record=True, width=200, color_system=None)
    render_plan(plan, console)
    return console.export_text() + plan_json(plan)


def test_the_planner_flags_secret_named_variables() -> None:
    old = {"service": {"environment": {"DB_PASSWORD": "old-pw", "MODE": "a"}}}
    new = {"service": {"environment": {"DB_PASSWORD": "new-pw", "MODE": "b"}}}
    diffs = {d.path: d for d in compare(old, new)}
    assert diffs["environment.DB_PASSWORD"].sensitive
    assert not diffs["environment.MODE"].sensitive
    text = _rendered(_plan(*diffs.values()))
    assert "old-pw" not in text and "new-pw" not in text
    assert "environment.DB_PASSWORD" in text
    assert '"a" -> "b"' in text


def test_masked_json_keeps_the_kind_of_change() -> None:
    plan = mask_plan(
        _plan(
            FieldDiff("environment.TOKEN", "t1", "t2"),
            FieldDiff("environment.NEW_KEY", None, "k1"),
            FieldDiff("environment.OLD_SECRET", "s1", None),
        ),
        Secrets(),
    )
    diffs = json.loads(plan_json(plan))["steps"][0]["diffs"]
    assert [(d["change"], d["old"], d["new"]) for d in diffs] == [
        ("changed", MASK, MASK),
        ("added", None, MASK),
        ("removed", MASK, None),
    ]
    assert all(d["sensitive"] for d in diffs)


def test_values_and_names_from_the_project(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text("CREDS=from-env-file-77\n")
    (tmp_path / "db.secret").write_text("secret-file-content-88\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  web:\n"
        "    image: busybox:local\n"
        "    env_file: app.env\n"
        "    command: [echo, secret-file-content-88]\n"
        "    environment: {ADMIN_PASSWORD: pw-99, MODE: a}\n"
        "    secrets: [db]\n"
        "secrets:\n"
        "  db: {file: ./db.secret}\n"
    )
    project = load_project(LoadOptions(cwd=str(tmp_path), environ=dict(os.environ)))
    secrets = secrets_of(project)
    assert "CREDS" in secrets.names
    assert {"from-env-file-77", "secret-file-content-88", "pw-99"} <= secrets.values
    plan = _plan(
        FieldDiff("environment.CREDS", "from-env-file-76", "from-env-file-77"),
        FieldDiff("command", ["echo", "x"], ["echo", "secret-file-content-88"]),
        FieldDiff("environment.MODE", "b", "a"),
    )
    text = _rendered(mask_plan(plan, secrets))
    for value in ("from-env-file-7", "secret-file-content-88"):
        assert value not in text
    assert "environment.CREDS" in text and "command" in text
    assert '"b" -> "a"' in text
    shown = _rendered(mask_plan(plan, secrets, show_values=True))
    assert "from-env-file-77" in shown and "secret-file-content-88" in shown


def test_reasons_and_warnings_are_scrubbed() -> None:
    plan = Plan("p", warnings=("value hunter22 seen",), problems=("bad hunter22",))
    masked = mask_plan(plan, Secrets(values=frozenset({"hunter22"})))
    assert "hunter22" not in json.dumps(masked.to_json())


def test_secrets_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  web: {image: busybox:local, secrets: [s]}\n"
        "secrets:\n"
        "  s: {environment: MY_S}\n"
    )
    options = LoadOptions(cwd=str(tmp_path), environ={"MY_S": "env-secret-55"})
    assert "env-secret-55" in secrets_of(load_project(options)).values
