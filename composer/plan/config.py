"""A service's effective configuration and the field-level comparison of two.

The effective configuration is what decides whether a container must be
recreated: the normalised service definition (minus keys that never reach
the container), the local ID of its image and the digests of the files it
receives.  Its compact JSON is stored on the container in a label.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from composer.graph import ServiceNode
from composer.plan.model import FieldDiff, secret_name

#: Keys that change how many containers run or when, not what a container is.
_IGNORED = ("build", "pull_policy", "scale", "depends_on", "profiles", "develop")


def effective_config(node: ServiceNode, image_id: str | None) -> dict[str, Any]:
    """The data that, when it changes, means the container must be replaced."""
    service = {k: v for k, v in node.definition.items() if k not in _IGNORED}
    deploy = dict(service.get("deploy") or {})
    deploy.pop("replicas", None)
    if deploy:
        service["deploy"] = deploy
    else:
        service.pop("deploy", None)
    return {
        "service": _plain(service),
        "image_id": image_id,
        "files": dict(sorted(node.file_digests.items())),
    }


def encode(config: Mapping[str, Any]) -> str:
    """The compact, stable JSON of an effective configuration."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"))


def decode(text: str | None) -> dict[str, Any] | None:
    """Parse a stored configuration; None when absent or unreadable."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def digest(config: Mapping[str, Any]) -> str:
    """A SHA-256 of the effective configuration (fallback config hash)."""
    return hashlib.sha256(encode(config).encode()).hexdigest()


def compare(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[FieldDiff, ...]:
    """Field-level differences, named like ``environment.A`` or ``image``."""
    out: list[FieldDiff] = []
    old_service = old.get("service") or {}
    new_service = new.get("service") or {}
    _walk(old_service, new_service, "", out)
    if old.get("image_id") != new.get("image_id"):
        out.append(FieldDiff("image ID", old.get("image_id"), new.get("image_id")))
    _walk(old.get("files") or {}, new.get("files") or {}, "content of ", out)
    return tuple(_flag_secret(d) for d in out)


def _flag_secret(diff: FieldDiff) -> FieldDiff:
    """Mark ``environment.DB_PASSWORD`` and the like as sensitive."""
    head, _, name = diff.path.partition(".")
    if head == "environment" and secret_name(name):
        return FieldDiff(diff.path, diff.old, diff.new, sensitive=True)
    return diff


def _walk(old: Any, new: Any, path: str, out: list[FieldDiff]) -> None:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new)):
            sub = f"{path}{key}" if not path or path.endswith(" ") else f"{path}.{key}"
            if key in old and key in new:
                _walk(old[key], new[key], sub, out)
            elif key in new:
                # A key present with a null value (``networks: {x: null}``)
                # is still an addition.
                out.append(FieldDiff(sub, None, _shown(new[key])))
            else:
                out.append(FieldDiff(sub, _shown(old[key]), None))
        return
    if old != new:
        out.append(FieldDiff(path.rstrip(), old, new))


def _shown(value: Any) -> Any:
    """A null value that is present is shown as ``{}``, not as absence."""
    return {} if value is None else value


def _plain(value: Any) -> Any:
    """Mappings and sequences as dicts and lists, for JSON and comparison."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
