"""What the Kubernetes target cannot express is reported, never dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from k8s_helpers import keys, load, render_text, validate_all

from composer.errors import ConfigError
from composer.targets.k8s import render
from composer.targets.k8s.keys import LOAD_TIME, TRANSLATED, untranslated


def test_every_untranslated_service_key_warns(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    dns: [8.8.8.8]\n"
        "    extra_hosts: ['h:1.2.3.4']\n    logging: {driver: syslog}\n"
        "    network_mode: host\n    ulimits: {nofile: 1024}\n"
        "    deploy:\n      placement: {constraints: ['node.role==manager']}\n"
        "      update_config: {parallelism: 2}\n"
        "      resources: {limits: {pids: 10}}\n",
    )
    validate_all(rendering)
    assert keys(rendering) == {
        "services.a.dns",
        "services.a.extra_hosts",
        "services.a.logging",
        "services.a.network_mode",
        "services.a.ulimits",
        "services.a.deploy.placement",
        "services.a.deploy.update_config",
        "services.a.deploy.resources.limits.pids",
    }
    assert all(d.severity == "warning" for d in rendering.warnings)
    assert all(d.location.file for d in rendering.warnings)


def test_a_fully_translated_project_has_no_warnings(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    ports: ['80:80']\n"
        "    healthcheck: {test: [CMD, x], interval: 5s}\n    restart: always\n"
        "    depends_on: [b]\n  b:\n    image: y\n    expose: ['9']\n",
    )
    assert rendering.warnings == ()


def test_unknown_keys_are_not_silently_dropped() -> None:
    service = {"image": "x", "some_future_key": {"on": True}, "x-mine": 1}
    found = untranslated("a", service)
    assert [d.key for d in found] == ["services.a.some_future_key"]
    assert untranslated("a", {"image": "x", "dns": None, "sysctls": {}}) == []


def test_the_key_lists_do_not_overlap() -> None:
    assert not TRANSLATED & LOAD_TIME


@pytest.mark.parametrize(
    ("fragment", "key", "code"),
    [
        ("    build: .\n", "services.a.build", "K8S002"),
        ("    environment: [UNSET]\n", "services.a.environment.UNSET", "K8S003"),
        ("    user: postgres\n", "services.a.user", "K8S004"),
        ("    volumes: ['./d:/d']\n", "services.a.volumes[0]", "K8S005"),
        ("    ports: ['8000-8002:80']\n", "services.a.ports[0].published", "K8S006"),
        ("    restart: 'no'\n", "services.a.restart", "K8S009"),
        ("    labels: ['bad key=1']\n", "services.a.labels.bad key", "K8S010"),
        ("    container_name: c\n", "services.a.container_name", "K8S008"),
        ("    pull_policy: daily\n", "services.a.pull_policy", "K8S001"),
        ("    deploy: {mode: replicated-job}\n", "services.a.deploy.mode", "K8S001"),
        (
            "    ports: ['127.0.0.1:80:80']\n",
            "services.a.ports[0].host_ip",
            "K8S001",
        ),
        (
            "    healthcheck: {interval: 3s}\n",
            "services.a.healthcheck",
            "K8S001",
        ),
        (
            "    healthcheck: {test: [CMD, x], start_interval: 1s}\n",
            "services.a.healthcheck.start_interval",
            "K8S001",
        ),
    ],
)
def test_partly_translated_keys_warn(
    tmp_path: Path, fragment: str, key: str, code: str
) -> None:
    rendering = render_text(tmp_path, f"services:\n  a:\n    image: x\n{fragment}")
    validate_all(rendering)
    assert [(d.key, d.code) for d in rendering.warnings] == [(key, code)]


def test_ordering_that_cannot_be_expressed_warns(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  app:\n    image: x\n    depends_on:\n"
        "      init: {condition: service_completed_successfully}\n"
        "      quiet: {condition: service_started}\n"
        "  init:\n    image: x\n    restart: 'no'\n  quiet:\n    image: x\n",
    )
    validate_all(rendering)
    assert {
        "services.app.depends_on.init",
        "services.app.depends_on.quiet",
    } <= keys(rendering)


def test_network_isolation_and_settings_warn(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    networks:\n"
        "      front: {aliases: [web]}\n      back: {}\n"
        "networks: {front: {}, back: {}}\n",
    )
    assert keys(rendering) == {"networks", "services.a.networks.front.aliases"}


def test_renamed_service_warns(tmp_path: Path) -> None:
    rendering = render_text(tmp_path, "services:\n  My_App:\n    image: x\n")
    validate_all(rendering)
    assert keys(rendering) == {"services.My_App"}


def test_volume_driver_warns(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    volumes: [v:/v]\n"
        "  b:\n    image: x\n    volumes: [v:/v]\n"
        "volumes: {v: {driver: local, driver_opts: {type: nfs}}}\n",
    )
    found = [d.key for d in rendering.warnings if d.code == "K8S001"]
    assert found == ["volumes.v.driver", "volumes.v.driver_opts"]


def test_missing_secret_file_is_a_config_error(tmp_path: Path) -> None:
    project = load(
        tmp_path,
        "services:\n  a:\n    image: x\n    secrets: [s]\n"
        "secrets: {s: {file: ./gone.txt}}\n",
    )
    with pytest.raises(ConfigError) as raised:
        render(project)
    assert raised.value.diagnostics[0].code == "K8S100"


def test_services_with_the_same_kubernetes_name_are_refused(tmp_path: Path) -> None:
    project = load(tmp_path, "services:\n  a_b: {image: x}\n  a-b: {image: x}\n")
    with pytest.raises(ConfigError) as raised:
        render(project)
    assert raised.value.diagnostics[0].code == "K8S101"


def test_warnings_point_at_the_compose_entry(tmp_path: Path) -> None:
    """Each warning carries the line and column of the key it is about."""
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    dns: [8.8.8.8]\n"
        "    network_mode: host\n"
        "    deploy:\n      placement: {constraints: ['node.role==manager']}\n",
    )
    where = {d.key: (d.location.line, d.location.column) for d in rendering.warnings}
    assert where["services.a.dns"] == (4, 5)
    assert where["services.a.network_mode"] == (5, 5)
    assert where["services.a.deploy.placement"] == (7, 7)
    assert all(d.location.file for d in rendering.warnings)
    text = next(d for d in rendering.warnings if d.key == "services.a.dns").render()
    assert ":4:5: warning K8S001 at services.a.dns" in text
