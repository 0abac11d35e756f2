"""The Swarm target without an engine: view round trips and planner tables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from composer.engine.report import Status
from composer.errors import ApplyError, ConfigError
from composer.plan.model import Action, Kind
from composer.spec.project import Project
from composer.targets.swarm.apply import failing_tasks, job_state, wait_converged
from composer.targets.swarm.desired import build_swarm_desired
from composer.targets.swarm.model import (
    NAMESPACE_LABEL,
    SOURCE_LABEL,
    ObservedObject,
    ObservedService,
    ServiceDef,
    SwarmActual,
    SwarmDesired,
)
from composer.targets.swarm.planner import (
    SwarmPlanOptions,
    plan_swarm,
    plan_swarm_down,
)
from composer.targets.swarm.spec import Directory, from_api, to_api

PROJECT = "demo"


def _project(tmp_path: Path, services: Mapping[str, Any], **sections: Any) -> Project:
    model = {"name": PROJECT, "services": dict(services), **sections}
    return Project(PROJECT, str(tmp_path), (), model)


FULL_SERVICE: dict[str, Any] = {
    "image": "busybox",
    "command": ["sleep", "60"],
    "entrypoint": ["/bin/sh", "-c"],
    "environment": {"A": "1", "DB_PASSWORD": "x"},
    "labels": {"c": "d"},
    "user": "1000",
    "working_dir": "/srv",
    "init": True,
    "stop_grace_period": "3s",
    "healthcheck": {"test": "true", "interval": "5s", "retries": 3},
    "ports": [
        {"target": 80, "published": "8080", "protocol": "tcp", "mode": "ingress"},
        {"target": 81, "published": "8081", "protocol": "udp", "mode": "host"},
    ],
    "networks": {"front": {"aliases": ["www"]}},
    "volumes": [
        {"type": "volume", "source": "data", "target": "/data"},
        {"type": "bind", "source": "/tmp", "target": "/host", "read_only": True},
    ],
    "secrets": [{"source": "pw", "target": "/run/secrets/pw"}],
    "configs": [{"source": "conf", "mode": "0440"}],
    "deploy": {
        "replicas": 3,
        "labels": {"a": "b"},
        "update_config": {"order": "start-first", "delay": "2s", "parallelism": 2},
        "rollback_config": {"parallelism": 0, "failure_action": "continue"},
        "restart_policy": {"condition": "on-failure", "max_attempts": 3},
        "resources": {
            "limits": {"cpus": 0.5, "memory": "67108864", "pids": 50},
            "reservations": {"cpus": 0.1, "memory": "16777216"},
        },
        "placement": {
            "constraints": ["node.role==manager"],
            "preferences": [{"spread": "node.labels.zone"}],
            "max_replicas_per_node": 2,
        },
    },
}


def _full(tmp_path: Path, secret: bytes = b"s3cret") -> SwarmDesired:
    (tmp_path / "pw.txt").write_bytes(secret)
    (tmp_path / "app.conf").write_text("x=1\n")
    project = _project(
        tmp_path,
        {
            "web": FULL_SERVICE,
            "glob": {"image": "busybox", "deploy": {"mode": "global"}},
        },
        networks={"front": {"name": "demo_front"}},
        volumes={"data": {"name": "demo_data"}},
        secrets={"pw": {"file": "pw.txt", "name": "demo_pw"}},
        configs={"conf": {"file": "app.conf", "name": "demo_conf"}},
    )
    return build_swarm_desired(project)


def _as_observed(desired: SwarmDesired) -> SwarmActual:
    """What the engine would hold after applying ``desired`` (IDs != names)."""
    names = Directory(
        {n.name: f"id-{n.name}" for n in desired.networks.values()},
        {s.name: f"id-{s.name}" for s in desired.secrets.values()},
        {c.name: f"id-{c.name}" for c in desired.configs.values()},
    )
    services = {}
    for svc in desired.services.values():
        spec = to_api(svc.view, PROJECT, names)
        services[svc.name] = ObservedService(
            f"id-{svc.name}", svc.name, 7, from_api(spec, names), spec
        )

    def objects(table: Mapping[str, str], labels: Mapping[str, str]) -> Any:
        return {
            n: ObservedObject(i, n, {**labels, NAMESPACE_LABEL: PROJECT}, True)
            for n, i in table.items()
        }

    return SwarmActual(
        PROJECT,
        services,
        objects(names.networks, {}),
        {
            s.name: ObservedObject(f"id-{s.name}", s.name, dict(s.labels), True)
            for s in desired.secrets.values()
        },
        {
            c.name: ObservedObject(f"id-{c.name}", c.name, dict(c.labels), True)
            for c in desired.configs.values()
        },
    )


def test_view_round_trips_through_the_api_spec(tmp_path: Path) -> None:
    """from_api(to_api(view)) == view, for every field the target manages."""
    desired = _full(tmp_path)
    names = Directory({"demo_front": "n1"}, {}, {})
    for svc in desired.services.values():
        assert from_api(to_api(svc.view, PROJECT, names), names) == svc.view


def test_api_spec_carries_the_deploy_fields(tmp_path: Path) -> None:
    """Replicas, update order, placement, resources and labels reach the spec."""
    web = _full(tmp_path).services["web"]
    spec = to_api(web.view, PROJECT, Directory())
    task = spec["TaskTemplate"]
    assert spec["Mode"] == {"Replicated": {"Replicas": 3}}
    assert spec["UpdateConfig"]["Order"] == "start-first"
    assert spec["UpdateConfig"]["Delay"] == 2_000_000_000
    assert spec["RollbackConfig"]["Parallelism"] == 0
    assert spec["Labels"] == {"a": "b", NAMESPACE_LABEL: PROJECT}
    assert task["Placement"]["MaxReplicas"] == 2
    assert task["Placement"]["Preferences"] == [
        {"Spread": {"SpreadDescriptor": "node.labels.zone"}}
    ]
    assert task["Resources"]["Limits"] == {
        "NanoCPUs": 500_000_000,
        "MemoryBytes": 67108864,
        "Pids": 50,
    }
    assert task["RestartPolicy"]["Condition"] == "on-failure"
    assert spec["EndpointSpec"]["Ports"][1]["PublishMode"] == "host"
    secret = task["ContainerSpec"]["Secrets"][0]
    assert secret["File"]["Name"] == "pw"
    assert secret["SecretName"].startswith("demo_pw_")
    assert task["ContainerSpec"]["Configs"][0]["File"]["Mode"] == 0o440
    assert task["ContainerSpec"]["Configs"][0]["File"]["Name"] == "/conf"
    assert task["ContainerSpec"]["Mounts"][0]["Source"] == "demo_data"


def test_engine_omitted_zero_values_read_as_zero() -> None:
    """A stored spec drops zero values; they must not read as Swarm's defaults."""
    spec = {"Name": "x", "UpdateConfig": {"Order": "stop-first"}, "Mode": {}}
    view = from_api(spec, Directory())
    assert view["deploy"]["update_config"]["parallelism"] == 0
    assert view["deploy"]["update_config"]["delay"] == "0s"
    assert view["deploy"]["rollback_config"]["parallelism"] == 1  # block absent


def _steps(plan: Any) -> list[tuple[str, str, str]]:
    return [(s.action.value, s.kind.value, s.name) for s in plan.steps]


def test_first_plan_creates_everything_in_order(tmp_path: Path) -> None:
    """Networks, secrets and configs come before the services that use them."""
    desired = _full(tmp_path)
    plan = plan_swarm(desired, SwarmActual(PROJECT, {}, {}, {}, {}))
    kinds = [s.kind for s in plan.steps]
    assert kinds == [Kind.NETWORK, Kind.SECRET, Kind.CONFIG, Kind.SERVICE, Kind.SERVICE]
    assert all(s.action is Action.CREATE for s in plan.steps)


def test_applied_state_plans_empty(tmp_path: Path) -> None:
    """What apply would leave behind plans to nothing."""
    desired = _full(tmp_path)
    assert plan_swarm(desired, _as_observed(desired)).empty


CHANGES: list[tuple[str, dict[str, Any], str]] = [
    ("environment", {"environment": {"A": "2", "DB_PASSWORD": "x"}}, "environment.A"),
    (
        "replicas",
        {"deploy": {**FULL_SERVICE["deploy"], "replicas": 5}},
        "deploy.replicas",
    ),
    ("image", {"image": "busybox:2"}, "image"),
    (
        "constraint",
        {
            "deploy": {
                **FULL_SERVICE["deploy"],
                "placement": {"constraints": ["node.role==worker"]},
            }
        },
        "deploy.placement.constraints",
    ),
    ("ports", {"ports": []}, "ports"),
]


@pytest.mark.parametrize(
    ("label", "change", "path"), CHANGES, ids=[c[0] for c in CHANGES]
)
def test_one_field_changes_one_service(
    tmp_path: Path, label: str, change: dict[str, Any], path: str
) -> None:
    """Changing a field of web updates web alone, with that field in the diffs."""
    before = _full(tmp_path)
    actual = _as_observed(before)
    project = _project(
        tmp_path,
        {
            "web": {**FULL_SERVICE, **change},
            "glob": {"image": "busybox", "deploy": {"mode": "global"}},
        },
        networks={"front": {"name": "demo_front"}},
        volumes={"data": {"name": "demo_data"}},
        secrets={"pw": {"file": "pw.txt", "name": "demo_pw"}},
        configs={"conf": {"file": "app.conf", "name": "demo_conf"}},
    )
    plan = plan_swarm(build_swarm_desired(project), actual)
    assert _steps(plan) == [("update", "service", "demo_web")], label
    assert path in [d.path for d in plan.steps[0].diffs]
    assert "start-first" in plan.steps[0].reason


def test_secret_rotation_makes_a_new_version(tmp_path: Path) -> None:
    """New content: a new secret version, the service updated, the old removed."""
    before = _full(tmp_path)
    actual = _as_observed(before)
    after = _full(tmp_path, secret=b"rotated")
    plan = plan_swarm(after, actual)
    new_name = after.secrets["pw"].name
    old_name = before.secrets["pw"].name
    assert new_name != old_name and new_name.startswith("demo_pw_")
    assert _steps(plan) == [
        ("create", "secret", new_name),
        ("update", "service", "demo_web"),
        ("remove", "secret", old_name),
    ]
    assert plan.steps[0].reason == "content changed: new version"
    assert [d.path for d in plan.steps[1].diffs] == ["secrets"]
    assert after.secrets["pw"].labels[SOURCE_LABEL] == "pw"


def test_environment_secret_values_are_marked_sensitive(tmp_path: Path) -> None:
    """A changed DB_PASSWORD is shown as changed, never by value."""
    before = _full(tmp_path)
    actual = _as_observed(before)
    project = _project(
        tmp_path,
        {"web": {**FULL_SERVICE, "environment": {"A": "1", "DB_PASSWORD": "y"}}},
        networks={"front": {"name": "demo_front"}},
        volumes={"data": {"name": "demo_data"}},
        secrets={"pw": {"file": "pw.txt", "name": "demo_pw"}},
        configs={"conf": {"file": "app.conf", "name": "demo_conf"}},
    )
    plan = plan_swarm(build_swarm_desired(project), actual)
    update = next(s for s in plan.steps if s.action is Action.UPDATE)
    (diff,) = update.diffs
    assert diff.sensitive and "y" not in diff.describe()


def test_orphans_are_reported_and_removed_only_when_asked(tmp_path: Path) -> None:
    """A service gone from the file stays (with its network) unless asked."""
    before = _full(tmp_path)
    actual = _as_observed(before)
    project = _project(
        tmp_path,
        {"glob": {"image": "busybox", "deploy": {"mode": "global"}}},
    )
    desired = build_swarm_desired(project)
    kept = plan_swarm(desired, actual)
    assert kept.orphans == ("demo_web",)
    assert ("remove", "network", "demo_front") not in _steps(kept)
    removed = plan_swarm(desired, actual, SwarmPlanOptions(remove_orphans=True))
    assert ("remove", "service", "demo_web") in _steps(removed)
    assert ("remove", "network", "demo_front") in _steps(removed)
    assert _steps(removed)[-1][0] == "remove"


def test_down_removes_services_first(tmp_path: Path) -> None:
    """down: every owned object, services before what they use."""
    actual = _as_observed(_full(tmp_path))
    steps = _steps(plan_swarm_down(actual))
    assert [k for _, k, _ in steps][:2] == ["service", "service"]
    assert {k for _, k, _ in steps} == {"service", "secret", "config", "network"}


def test_external_objects_must_exist(tmp_path: Path) -> None:
    """A missing external network or secret is a problem, not a step."""
    project = _project(
        tmp_path,
        {
            "web": {
                "image": "busybox",
                "networks": {"ext": None},
                "secrets": [{"source": "s"}],
            }
        },
        networks={"ext": {"name": "shared", "external": True}},
        secrets={"s": {"name": "shared_s", "external": True}},
    )
    plan = plan_swarm(
        build_swarm_desired(project), SwarmActual(PROJECT, {}, {}, {}, {})
    )
    assert plan.problems == (
        "external network shared does not exist",
        "external secret shared_s does not exist",
    )


BAD: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    ({"build": {"context": "."}}, {}, "services.web.image"),
    (
        {"image": "b", "secrets": [{"source": "s"}]},
        {"secrets": {"s": {"file": "nope"}}},
        "secrets.s.file",
    ),
    (
        {"image": "b", "secrets": [{"source": "s"}]},
        {"secrets": {"s": {"environment": "NOPE"}}},
        "secrets.s.environment",
    ),
]


@pytest.mark.parametrize(("service", "sections", "key"), BAD)
def test_bad_input_is_a_config_error(
    tmp_path: Path, service: dict[str, Any], sections: dict[str, Any], key: str
) -> None:
    """Input the swarm cannot run is refused before any engine call."""
    with pytest.raises(ConfigError) as caught:
        build_swarm_desired(_project(tmp_path, {"web": service}, **sections))
    assert caught.value.diagnostics[0].key == key


def test_unsupported_keys_warn(tmp_path: Path) -> None:
    """Keys a swarm ignores are named in warnings, never dropped silently."""
    project = _project(
        tmp_path,
        {"web": {"image": "b", "privileged": True, "depends_on": {"db": {}}}},
    )
    warnings = build_swarm_desired(project).warnings
    assert "services.web.privileged: not supported by swarm, ignored" in warnings
    assert any("depends_on" in w for w in warnings)


def test_waiting_reports_failed_and_unplaceable_tasks() -> None:
    """Failed and rejected tasks, and pending ones the scheduler explains, count."""
    tasks = [
        {"ID": "a" * 25, "DesiredState": "shutdown", "UpdatedAt": "2",
         "Status": {"State": "failed", "Err": "task: non-zero exit (3)"}},
        {"ID": "b" * 25, "DesiredState": "running", "UpdatedAt": "3",
         "Status": {"State": "pending", "Err": "no suitable node (1 node)"}},
        {"ID": "c" * 25, "DesiredState": "running", "UpdatedAt": "4",
         "Status": {"State": "pending"}},
        {"ID": "d" * 25, "DesiredState": "running", "UpdatedAt": "5",
         "Status": {"State": "running"}},
    ]  # fmt: skip
    text = failing_tasks(tasks)
    assert text == (
        f" (task {'b' * 12} pending: no suitable node (1 node); "
        f"task {'a' * 12} failed: task: non-zero exit (3))"
    )
    assert failing_tasks(tasks[2:]) == ""


# -- jobs ----------------------------------------------------------------------


def _jobs(tmp_path: Path, command: str = "true") -> SwarmDesired:
    project = _project(
        tmp_path,
        {
            "migrate": {
                "image": "busybox",
                "command": command,
                "deploy": {"mode": "replicated-job", "replicas": 3},
            },
            "warm": {"image": "busybox", "deploy": {"mode": "global-job"}},
        },
    )
    return build_swarm_desired(project)


def test_jobs_are_swarm_job_services(tmp_path: Path) -> None:
    """Jobs get a job mode, no update settings and retry only on failure."""
    desired = _jobs(tmp_path)
    assert desired.warnings == ()
    names = Directory()
    migrate = to_api(desired.services["migrate"].view, PROJECT, names)
    assert migrate["Mode"] == {
        "ReplicatedJob": {"MaxConcurrent": 3, "TotalCompletions": 3}
    }
    assert "UpdateConfig" not in migrate and "RollbackConfig" not in migrate
    assert migrate["TaskTemplate"]["RestartPolicy"]["Condition"] == "on-failure"
    warm = to_api(desired.services["warm"].view, PROJECT, names)
    assert warm["Mode"] == {"GlobalJob": {}}
    for svc in desired.services.values():
        assert from_api(to_api(svc.view, PROJECT, names), names) == svc.view


def test_a_done_job_is_not_run_again_and_a_changed_one_is(tmp_path: Path) -> None:
    """Same spec: no step. Changed spec: an update, which re-runs the job."""
    actual = _as_observed(_jobs(tmp_path))
    assert plan_swarm(_jobs(tmp_path), actual).steps == ()
    steps = plan_swarm(_jobs(tmp_path, "echo again"), actual).steps
    assert [(s.action, s.name, s.reason) for s in steps] == [
        (
            Action.UPDATE,
            f"{PROJECT}_migrate",
            "configuration changed: the job runs again",
        )
    ]
    fresh = plan_swarm(_jobs(tmp_path), _as_observed(_jobs(tmp_path, "x"))).steps
    assert {s.name for s in fresh} == {f"{PROJECT}_migrate"}


def test_job_update_settings_are_warned_about(tmp_path: Path) -> None:
    """update_config means nothing to a job; an unknown mode is an error."""
    job = {"mode": "global-job", "update_config": {"order": "start-first"}}
    project = _project(tmp_path, {"a": {"image": "b", "deploy": job}})
    assert build_swarm_desired(project).warnings == (
        "services.a.deploy.update_config: a job is re-run, not rolled, on change; "
        "ignored",
    )
    bad = _project(tmp_path, {"a": {"image": "b", "deploy": {"mode": "cron"}}})
    with pytest.raises(ConfigError, match="unknown mode cron"):
        build_swarm_desired(bad)


def _task(ident: str, state: str, run: int = 2, node: str = "n1", err: str = "") -> Any:
    return {
        "ID": ident * 25,
        "NodeID": node,
        "DesiredState": "complete",
        "UpdatedAt": ident,
        "JobIteration": {"Index": run},
        "Status": {"State": state, "Err": err},
    }


def _job_service(mode: Mapping[str, Any]) -> dict[str, Any]:
    return {"Spec": {"Mode": mode}, "JobStatus": {"JobIteration": {"Index": 2}}}


def test_job_state_counts_the_current_run_only() -> None:
    """Completions of the latest run count; earlier runs' tasks do not."""
    replicated = _job_service(
        {"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 2}}
    )
    old = [_task("a", "complete", run=1), _task("b", "complete", run=1)]
    state = job_state(replicated, [*old, _task("c", "running")])
    assert (state.converged, state.stuck, state.text) == (False, False, "0/2 completed")
    state = job_state(replicated, [_task("c", "complete"), _task("d", "complete")])
    assert (state.converged, state.text) == (True, "2/2 completed")
    glob = _job_service({"GlobalJob": {}})
    tasks = [_task("e", "complete"), _task("f", "running", node="n2")]
    assert not job_state(glob, tasks).converged
    tasks[1] = _task("f", "complete", node="n2")
    assert job_state(glob, tasks).text == "2/2 nodes completed"


def test_a_failed_job_is_reported() -> None:
    """A run with failed tasks and nothing left to finish it has failed."""
    replicated = _job_service({"ReplicatedJob": {"TotalCompletions": 1}})
    failed = _task("a", "failed", err="task: non-zero exit (1)")
    state = job_state(replicated, [failed])
    assert state.stuck and not state.converged
    assert state.text == (
        f"job failed: 0/1 completed (task {'a' * 12} failed: task: non-zero exit (1))"
    )
    # While a retry is under way the job has not failed.
    assert not job_state(replicated, [failed, _task("b", "pending")]).stuck


class _FakeEngine:
    """inspect_service and tasks of one job whose only task failed."""

    def inspect_service(self, name: str) -> dict[str, Any]:
        return {"ID": "x", **_job_service({"ReplicatedJob": {"TotalCompletions": 1}})}

    def tasks(self, service_id: str) -> list[dict[str, Any]]:
        return [_task("a", "failed", err="task: non-zero exit (1)")]


def test_waiting_fails_with_the_job_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """up --wait fails naming the failed job's task error."""
    monkeypatch.setattr("composer.targets.swarm.apply.POLL", 0)
    desired = SwarmDesired(
        PROJECT, {"j": ServiceDef("j", f"{PROJECT}_j", {})}, {}, {}, {}
    )
    events: list[Any] = []

    class _Reporter:
        def event(self, event: Any) -> None:
            events.append(event)

    with pytest.raises(ApplyError, match="job failed: 0/1 completed"):
        wait_converged(_FakeEngine(), desired, _Reporter(), 60)  # type: ignore[arg-type]
    assert events[-1].status is Status.FAILED
