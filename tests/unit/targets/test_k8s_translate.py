"""Each Compose-to-Kubernetes translation, one small project at a time."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from k8s_helpers import by_kind, load, render_text, validate_all

from composer.targets.k8s import render
from composer.targets.k8s.container import memory_quantity, readiness_probe, seconds
from composer.targets.k8s.meta import MANAGED_BY, NAME, PART_OF, dns_label


def _pod(workload: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = workload["spec"]["template"]["spec"]
    return pod


def test_every_object_carries_the_project_labels(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text("x")
    rendering = render_text(
        tmp_path,
        "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n"
        "    volumes: [data:/d]\n    configs: [c]\n"
        "volumes: {data: {}}\nconfigs: {c: {file: ./c.txt}}\n",
    )
    validate_all(rendering)
    assert {m["kind"] for m in rendering.manifests} == {
        "ConfigMap",
        "Service",
        "StatefulSet",
    }
    for manifest in rendering.manifests:
        labels = manifest["metadata"]["labels"]
        assert labels[PART_OF] == "demo"
        assert labels[MANAGED_BY] == "composer"
    for manifest in rendering.manifests:
        if manifest["kind"] != "ConfigMap":
            assert manifest["metadata"]["labels"][NAME] == "web"


def test_namespace_is_set_on_every_object(tmp_path: Path) -> None:
    project = load(tmp_path, "services:\n  web:\n    image: nginx\n")
    rendering = render(project, "team-a")
    assert all(m["metadata"]["namespace"] == "team-a" for m in rendering.manifests)
    assert "namespace" not in render(project).manifests[0]["metadata"]


def test_plain_service_is_a_deployment_with_replicas(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: nginx\n    deploy: {replicas: 3}\n"
        "  b:\n    image: nginx\n    scale: 2\n  c:\n    image: nginx\n",
    )
    validate_all(rendering)
    deployments = by_kind(rendering, "Deployment")
    assert {n: d["spec"]["replicas"] for n, d in deployments.items()} == {
        "a": 3,
        "b": 2,
        "c": 1,
    }


def test_global_mode_is_a_daemonset(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path, "services:\n  agent:\n    image: x\n    deploy: {mode: global}\n"
    )
    validate_all(rendering)
    assert "replicas" not in by_kind(rendering, "DaemonSet")["agent"]["spec"]


def test_named_volume_makes_a_statefulset_with_a_claim_template(
    tmp_path: Path,
) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  db:\n    image: postgres\n    volumes: ['pg:/data:ro']\n"
        "volumes: {pg: {}}\n",
    )
    validate_all(rendering)
    stateful = by_kind(rendering, "StatefulSet")["db"]
    assert stateful["spec"]["serviceName"] == "db"
    templates = stateful["spec"]["volumeClaimTemplates"]
    assert [t["metadata"]["name"] for t in templates] == ["pg"]
    mount = _pod(stateful)["containers"][0]["volumeMounts"][0]
    assert mount == {"mountPath": "/data", "readOnly": True, "name": "pg"}
    # A StatefulSet with no ports still gets the Service it names.
    assert by_kind(rendering, "Service")["db"]["spec"]["clusterIP"] == "None"


def test_shared_and_external_volumes_are_claims(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    volumes: [s:/s, e:/e]\n"
        "  b:\n    image: x\n    volumes: [s:/s]\n"
        "volumes: {s: {}, e: {external: true, name: kept}}\n",
    )
    validate_all(rendering)
    assert list(by_kind(rendering, "PersistentVolumeClaim")) == ["demo-s"]
    a = _pod(by_kind(rendering, "Deployment")["a"])
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in a["volumes"]}
    assert claims == {"s": "demo-s", "e": "kept"}
    assert any(d.code == "K8S011" for d in rendering.warnings)


def test_anonymous_and_tmpfs_volumes_are_empty_dirs(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    volumes: [/anon]\n    tmpfs: [/t]\n",
    )
    validate_all(rendering)
    volumes = _pod(by_kind(rendering, "Deployment")["a"])["volumes"]
    assert volumes[0] == {"name": "anonymous-0", "emptyDir": {}}
    assert volumes[1]["emptyDir"] == {"medium": "Memory"}


def test_ports_make_a_cluster_service_and_a_load_balancer(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  web:\n    image: nginx\n"
        "    ports: ['8080:80', '53:53/udp', '9000']\n    expose: ['3000-3001']\n",
    )
    validate_all(rendering)
    services = by_kind(rendering, "Service")
    inner = services["web"]["spec"]
    assert "type" not in inner
    assert [(p["port"], p["protocol"]) for p in inner["ports"]] == [
        (80, "TCP"),
        (53, "UDP"),
        (9000, "TCP"),
        (3000, "TCP"),
        (3001, "TCP"),
    ]
    outer = services["web-published"]["spec"]
    assert outer["type"] == "LoadBalancer"
    assert [(p["port"], p["targetPort"]) for p in outer["ports"]] == [
        (8080, 80),
        (53, 53),
    ]


def test_host_mode_port_is_a_host_port(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  web:\n    image: nginx\n    ports:\n"
        "      - {target: 80, published: '8080', mode: host}\n",
    )
    validate_all(rendering)
    container = _pod(by_kind(rendering, "Deployment")["web"])["containers"][0]
    assert container["ports"] == [
        {"containerPort": 80, "protocol": "TCP", "hostPort": 8080}
    ]
    assert "web-published" not in by_kind(rendering, "Service")


def test_environment_command_and_entrypoint(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    entrypoint: ['/bin/sh', '-c']\n"
        "    command: 'echo $$(date) $$HOME'\n    working_dir: /w\n"
        "    environment: {A: '1', REF: '$$(A)', PLAIN: 'x$$y'}\n",
    )
    validate_all(rendering)
    container = _pod(by_kind(rendering, "Deployment")["a"])["containers"][0]
    assert container["command"] == ["/bin/sh", "-c"]
    # The kubelet would expand $(date); doubling keeps Compose's literal text.
    assert container["args"] == ["echo", "$$(date)", "$HOME"]
    assert container["workingDir"] == "/w"
    assert container["env"] == [
        {"name": "A", "value": "1"},
        {"name": "REF", "value": "$$(A)"},
        {"name": "PLAIN", "value": "x$y"},
    ]


def test_healthcheck_becomes_a_readiness_probe(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    healthcheck:\n"
        "      test: ['CMD', 'pg_isready', '-q']\n      interval: 1500ms\n"
        "      timeout: 1m30s\n      retries: 4\n      start_period: 10s\n",
    )
    validate_all(rendering)
    container = _pod(by_kind(rendering, "Deployment")["a"])["containers"][0]
    assert container["readinessProbe"] == {
        "exec": {"command": ["pg_isready", "-q"]},
        "periodSeconds": 2,
        "timeoutSeconds": 90,
        "initialDelaySeconds": 10,
        "failureThreshold": 4,
    }


def test_probe_forms() -> None:
    shell = readiness_probe({"test": ["CMD-SHELL", "curl -f x"]}, "a", [])
    assert shell == {"exec": {"command": ["/bin/sh", "-c", "curl -f x"]}}
    text = readiness_probe({"test": "curl -f x"}, "a", [])
    assert text == shell
    assert readiness_probe({"test": ["NONE"]}, "a", []) is None
    assert readiness_probe({"test": ["CMD", "x"], "disable": True}, "a", []) is None
    assert readiness_probe(None, "a", []) is None


def test_durations_round_up_to_whole_seconds() -> None:
    assert seconds("1500ms", 1) == 2
    assert seconds("100ms", 0) == 1
    assert seconds("0s", 1) == 1
    assert seconds("1h2m", 0) == 3720
    assert seconds(None, 1) is None


def test_resources(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    deploy:\n      resources:\n"
        "        limits: {cpus: '1.5', memory: 512M}\n"
        "        reservations: {cpus: '0.25', memory: 1000b}\n",
    )
    validate_all(rendering)
    container = _pod(by_kind(rendering, "Deployment")["a"])["containers"][0]
    assert container["resources"] == {
        "limits": {"cpu": "1500m", "memory": "512Mi"},
        "requests": {"cpu": "250m", "memory": "1000"},
    }
    assert memory_quantity(3 << 30) == "3Gi"


def test_security_settings(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    user: '1000:2000'\n    privileged: true\n"
        "    read_only: true\n    cap_add: [NET_ADMIN]\n    cap_drop: [ALL]\n"
        "    stdin_open: true\n    tty: true\n    stop_grace_period: 1m\n",
    )
    validate_all(rendering)
    pod = _pod(by_kind(rendering, "Deployment")["a"])
    container = pod["containers"][0]
    assert container["securityContext"] == {
        "privileged": True,
        "readOnlyRootFilesystem": True,
        "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
        "runAsUser": 1000,
        "runAsGroup": 2000,
    }
    assert container["stdin"] is True and container["tty"] is True
    assert pod["terminationGracePeriodSeconds"] == 60


def test_depends_on_waits_for_the_dependency_port(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  app:\n    image: x\n    depends_on:\n"
        "      db: {condition: service_healthy}\n"
        "  db:\n    image: postgres\n    ports: ['53:53/udp', '5433:5432']\n",
    )
    validate_all(rendering)
    init = _pod(by_kind(rendering, "Deployment")["app"])["initContainers"]
    assert len(init) == 1
    assert init[0]["name"] == "wait-for-db"
    assert "nc -z db 5432" in init[0]["command"][2]


def test_configs_and_secrets(tmp_path: Path) -> None:
    (tmp_path / "app.conf").write_text("key=value\n")
    (tmp_path / "pw.txt").write_bytes(b"\xffs3cret")
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n"
        "    configs: [cfg, {source: inline, target: /etc/i.conf, mode: 0440}]\n"
        "    secrets: [pw, {source: pw, target: other}]\n"
        "configs:\n  cfg: {file: ./app.conf}\n  inline: {content: hi}\n"
        "secrets:\n  pw: {file: ./pw.txt}\n",
    )
    validate_all(rendering)
    maps = by_kind(rendering, "ConfigMap")
    assert maps["demo-cfg"]["data"] == {"content": "key=value\n"}
    assert maps["demo-inline"]["data"] == {"content": "hi"}
    secret = by_kind(rendering, "Secret")["demo-pw"]
    assert base64.b64decode(secret["data"]["content"]) == b"\xffs3cret"
    container = _pod(by_kind(rendering, "Deployment")["a"])["containers"][0]
    targets = [m["mountPath"] for m in container["volumeMounts"]]
    assert targets == ["/cfg", "/etc/i.conf", "/run/secrets/pw", "/run/secrets/other"]
    volumes = _pod(by_kind(rendering, "Deployment")["a"])["volumes"]
    assert volumes[1]["configMap"]["items"][0]["mode"] == 0o440


def test_binary_config_goes_to_binary_data(tmp_path: Path) -> None:
    (tmp_path / "blob").write_bytes(b"\x00\xff")
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    configs: [b]\n"
        "configs: {b: {file: ./blob}}\n",
    )
    validate_all(rendering)
    assert "binaryData" in by_kind(rendering, "ConfigMap")["demo-b"]


def test_names_become_dns_labels() -> None:
    assert dns_label("Web_App") == "web-app"
    assert dns_label("1st") == "x-1st"
    assert dns_label("a.b") == "a-b"
    assert len(dns_label("x" * 100)) == 63


def test_labels_become_annotations(tmp_path: Path) -> None:
    rendering = render_text(
        tmp_path,
        "services:\n  a:\n    image: x\n    pull_policy: always\n"
        "    labels: {com.example.team: 'web team'}\n"
        "    deploy: {labels: {com.example.tier: front}}\n",
    )
    validate_all(rendering)
    deployment = by_kind(rendering, "Deployment")["a"]
    assert deployment["metadata"]["annotations"] == {"com.example.tier": "front"}
    template = deployment["spec"]["template"]["metadata"]
    assert template["annotations"] == {"com.example.team": "web team"}
    assert _pod(deployment)["containers"][0]["imagePullPolicy"] == "Always"
