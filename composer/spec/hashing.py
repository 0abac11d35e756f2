"""The Compose configuration hash of a service (the config-hash label)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Fields whose change must not recreate a container.
_EXCLUDED = ("build", "pull_policy", "scale", "profiles", "depends_on", "develop")


def service_config_hash(service: Mapping[str, Any]) -> str:
    """sha256 hex of the service's canonical JSON, without recreate-neutral fields.

    Excluded: build, pull_policy, scale, deploy.replicas, profiles, depends_on
    and develop; the result does not depend on which services were selected.
    """
    data = {k: v for k, v in service.items() if k not in _EXCLUDED}
    deploy = data.get("deploy")
    if isinstance(deploy, Mapping):
        data["deploy"] = {k: v for k, v in deploy.items() if k != "replicas"}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
