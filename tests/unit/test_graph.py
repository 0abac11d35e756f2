"""The desired-state graph: order, edges, replicas and reference errors."""

from __future__ import annotations

from typing import Any

import pytest

from composer.errors import ConfigError
from composer.graph import Condition, GraphOptions, build_desired
from composer.spec.project import Project


def _project(services: dict[str, Any], **top: Any) -> Project:
    model = {"name": "g", "services": services, **top}
    for svc in services.values():
        svc.setdefault("image", "busybox:local")
    return Project("g", "/srv", ("/srv/compose.yaml",), model)


def test_order_puts_dependencies_first() -> None:
    """Every service comes after all it depends on, through every edge kind."""
    desired = build_desired(
        _project(
            {
                "web": {"depends_on": {"api": {"condition": "service_healthy"}}},
                "api": {"network_mode": "service:net", "volumes_from": ["data:ro"]},
                "net": {},
                "data": {"links": ["net:n"]},
            }
        )
    )
    order = list(desired.order)
    for before, after in [
        ("api", "web"),
        ("net", "api"),
        ("data", "api"),
        ("net", "data"),
    ]:
        assert order.index(before) < order.index(after)
    dep = desired.services["web"].dependencies[0]
    assert (dep.service, dep.condition) == ("api", Condition.HEALTHY)


def test_cycle_error_names_the_path() -> None:
    """A cycle is a ConfigError that shows the whole loop."""
    with pytest.raises(ConfigError, match="a -> b -> c -> a"):
        build_desired(
            _project(
                {
                    "a": {"depends_on": {"b": {}}},
                    "b": {"depends_on": {"c": {}}},
                    "c": {"depends_on": {"a": {}}},
                }
            )
        )


def test_undefined_dependency_is_an_error_unless_optional() -> None:
    """A required reference to a missing service fails; an optional one does not."""
    with pytest.raises(ConfigError, match="undefined or disabled service 'db'"):
        build_desired(_project({"web": {"depends_on": {"db": {}}}}))
    ok = build_desired(_project({"web": {"depends_on": {"db": {"required": False}}}}))
    assert ok.order == ("web",)


@pytest.mark.parametrize(
    ("service", "scale", "replicas"),
    [
        ({}, {}, 1),
        ({"deploy": {"replicas": 3}}, {}, 3),
        ({"scale": 2, "deploy": {"replicas": 3}}, {}, 2),
        ({"scale": 2}, {"s": 4}, 4),
        ({"scale": 2}, {"s": 0}, 0),
    ],
)
def test_replicas(
    service: dict[str, Any], scale: dict[str, int], replicas: int
) -> None:
    """--scale beats scale, which beats deploy.replicas."""
    desired = build_desired(_project({"s": service}), GraphOptions(scale=scale))
    assert desired.services["s"].replicas == replicas
    assert [c.name for c in desired.containers("s")] == [
        f"g-s-{n}" for n in range(1, replicas + 1)
    ]


def test_container_name_cannot_scale() -> None:
    """container_name with more than one replica fails before any change."""
    with pytest.raises(ConfigError, match="container_name must be unique"):
        build_desired(
            _project({"w": {"container_name": "fixed"}}), GraphOptions(scale={"w": 2})
        )


def test_selection_follows_dependencies() -> None:
    """Named services bring what they depend on, unless --no-deps."""
    project = _project({"a": {"depends_on": {"b": {}}}, "b": {}, "c": {}})
    assert build_desired(project, GraphOptions(services=("a",))).selected == ("a", "b")
    no_deps = GraphOptions(services=("a",), no_deps=True)
    assert build_desired(project, no_deps).selected == ("a",)


def test_networks_and_secret_digests() -> None:
    """Unused default network is skipped; secret files are digested."""
    project = _project(
        {"s": {"networks": {"front": None}, "secrets": [{"source": "t"}]}},
        networks={"default": {"name": "g_default"}, "front": {"name": "g_front"}},
        secrets={"t": {"file": "/x"}},
    )
    desired = build_desired(project, digest=lambda path: f"sha:{path}")
    assert list(desired.networks) == ["front"]
    assert desired.services["s"].file_digests == {"secrets.t": "sha:/x"}
