"""The text forms of a loaded project: YAML and JSON as ``config`` prints them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

_TOP_ORDER = ("name", "services", "networks", "volumes", "secrets", "configs")


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, as Compose prints them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        """Never use the indentless style for block sequences."""
        super().increase_indent(flow, False)


def escape_dollars(value: Any) -> Any:
    """A copy of ``value`` with every literal ``$`` written as ``$$``."""
    if isinstance(value, str):
        return value.replace("$", "$$") if "$" in value else value
    if isinstance(value, Mapping):
        return {escape_dollars(k): escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    return value


def ordered(model: Mapping[str, Any]) -> dict[str, Any]:
    """The model with top-level keys in Compose's order and sorted services."""
    out: dict[str, Any] = {}
    for key in _TOP_ORDER:
        if key in model:
            out[key] = model[key]
    for key in sorted(model):
        if key not in out:
            out[key] = model[key]
    services = out.get("services")
    if isinstance(services, Mapping):
        out["services"] = {
            name: {k: svc[k] for k in sorted(svc)} for name, svc in services.items()
        }
    return out


def _for_yaml(model: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the empty defaults that only the JSON form shows, as Compose does."""
    out = dict(model)
    services = out.get("services")
    if isinstance(services, Mapping):
        out["services"] = {
            name: _service_for_yaml(svc) for name, svc in services.items()
        }
    networks = out.get("networks")
    if isinstance(networks, Mapping):
        out["networks"] = {
            name: {k: v for k, v in (net or {}).items() if not (k == "ipam" and not v)}
            for name, net in networks.items()
        }
    return out


def _service_for_yaml(svc: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        k: v
        for k, v in svc.items()
        if not (k in ("command", "entrypoint") and v is None)
    }
    deploy = out.get("deploy")
    if isinstance(deploy, Mapping):
        out["deploy"] = {
            k: v
            for k, v in deploy.items()
            if not (k in ("placement", "resources") and not v)
        }
    return out


def to_json(model: Mapping[str, Any], escape: bool = True) -> str:
    """The project as ``config --format json`` prints it."""
    data = ordered(escape_dollars(model) if escape else model)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_yaml(model: Mapping[str, Any], escape: bool = True) -> str:
    """The project as ``config`` prints it by default."""
    data = _for_yaml(ordered(escape_dollars(model) if escape else model))
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1 << 16,
    )
    return text
