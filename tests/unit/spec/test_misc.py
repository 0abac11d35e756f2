"""Ports, volumes, units, merge, hashing and rendering."""

from __future__ import annotations

import json
from typing import Any

import pytest

from composer.spec.hashing import service_config_hash
from composer.spec.merge import merge_files
from composer.spec.ports import parse_port
from composer.spec.render import to_json, to_yaml
from composer.spec.units import normalize_bytes, normalize_duration
from composer.spec.volumes import parse_volume


def test_ports() -> None:
    """Short port forms in long syntax; ranges pair up or stay one entry."""
    assert parse_port("127.0.0.1:80:8080/udp") == [
        {
            "mode": "ingress",
            "host_ip": "127.0.0.1",
            "target": 8080,
            "published": "80",
            "protocol": "udp",
        }
    ]
    assert [p["target"] for p in parse_port("90-91:90-91")] == [90, 91]
    assert parse_port("6381-6385:6379")[0]["published"] == "6381-6385"
    assert parse_port(1025) == [{"mode": "ingress", "target": 1025, "protocol": "tcp"}]
    assert parse_port("[::1]:80:80")[0]["host_ip"] == "::1"


def test_volumes() -> None:
    """Bind mounts, named volumes and anonymous volumes."""
    assert parse_volume("./a:/a:ro")["type"] == "bind"
    assert parse_volume("./a:/a:ro")["read_only"] is True
    assert parse_volume("n:/n") == {
        "type": "volume",
        "source": "n",
        "target": "/n",
        "volume": {},
    }
    assert parse_volume("/anon") == {"type": "volume", "target": "/anon", "volume": {}}


def test_units() -> None:
    """Durations in Go notation, sizes in bytes."""
    assert normalize_duration("90s") == "1m30s"
    assert normalize_duration("1h") == "1h0m0s"
    assert normalize_duration("500ms") == "500ms"
    assert normalize_bytes("512M") == "536870912"


def test_merge_rules() -> None:
    """Ports merge by unique key, volumes by target, command is replaced."""
    p80 = {"mode": "ingress", "target": 80, "published": "80", "protocol": "tcp"}
    p81 = {**p80, "published": "81"}
    base: dict[str, Any] = {
        "services": {
            "s": {
                "ports": [p80],
                "command": ["a"],
                "dns": ["1"],
                "volumes": [{"type": "volume", "source": "x", "target": "/t"}],
            }
        }
    }
    over: dict[str, Any] = {
        "services": {
            "s": {
                "ports": [p80, p81],
                "command": ["b"],
                "dns": ["1", "2"],
                "volumes": [{"type": "volume", "source": "y", "target": "/t"}],
            }
        }
    }
    merged = merge_files(base, over, {})["services"]["s"]
    assert merged["ports"] == [p80, p81]
    assert merged["command"] == ["b"]
    assert merged["dns"] == ["1", "2"]
    assert merged["volumes"] == [{"type": "volume", "source": "y", "target": "/t"}]


def test_override_tag_replaces() -> None:
    """!override takes the override's list as it is."""
    base = {"services": {"s": {"dns": ["1"]}}}
    over = {"services": {"s": {"dns": ["2"]}}}
    tags = {("services", "s", "dns"): "override"}
    assert merge_files(base, over, tags)["services"]["s"]["dns"] == ["2"]


def test_hash_ignores_replicas_and_is_stable() -> None:
    """Scaling does not change the hash; a new secret does."""
    svc = {"image": "a", "deploy": {"replicas": 1}}
    same = {"deploy": {"replicas": 5}, "image": "a"}
    assert service_config_hash(svc) == service_config_hash(same)
    changed = {**svc, "secrets": [{"source": "s"}]}
    assert service_config_hash(svc) != service_config_hash(changed)
    assert len(service_config_hash(svc)) == 64


def test_render_escapes_dollars() -> None:
    """A literal dollar is printed as $$, unless interpolation was off."""
    model = {"name": "p", "services": {"s": {"command": ["a$b"], "entrypoint": None}}}
    assert json.loads(to_json(model))["services"]["s"]["command"] == ["a$$b"]
    assert json.loads(to_json(model, escape=False))["services"]["s"]["command"] == [
        "a$b"
    ]
    text = to_yaml(model)
    assert text.startswith("name: p\n") and "entrypoint" not in text


@pytest.mark.parametrize(
    "key",
    ["services.web.volumes[0]", "services.a.deploy.resources.limits.pids", "x[2][3]"],
)
def test_key_path_inverts_format_key(key: str) -> None:
    from composer.spec.source import format_key, key_path

    assert format_key(key_path(key)) == key
