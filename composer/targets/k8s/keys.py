"""Which service keys the Kubernetes target translates, and warnings for the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from composer.errors import Diagnostic
from composer.targets.k8s.meta import warning

# Keys whose meaning the manifests carry (some only in part: the translating
# module warns about the part it cannot express).
TRANSLATED = frozenset(
    {
        "build",
        "cap_add",
        "cap_drop",
        "command",
        "configs",
        "container_name",
        "depends_on",
        "deploy",
        "entrypoint",
        "environment",
        "expose",
        "healthcheck",
        "image",
        "labels",
        "networks",
        "ports",
        "privileged",
        "pull_policy",
        "read_only",
        "restart",
        "scale",
        "secrets",
        "stdin_open",
        "stop_grace_period",
        "tmpfs",
        "tty",
        "user",
        "volumes",
        "working_dir",
    }
)

# Keys the loader has already applied: their effect is in the model itself.
LOAD_TIME = frozenset({"env_file", "extends", "profiles"})

DEPLOY_TRANSLATED = frozenset({"replicas", "resources", "mode", "labels"})


def present(value: Any) -> bool:
    """Whether a model value says anything (null, empty and false do not)."""
    return value is not None and value != [] and value != {} and value is not False


def untranslated(name: str, service: Mapping[str, Any]) -> list[Diagnostic]:
    """A warning for every key of ``service`` with no Kubernetes translation."""
    out = []
    for key in sorted(service):
        if key in TRANSLATED or key in LOAD_TIME or key.startswith("x-"):
            continue
        if not present(service[key]):
            continue
        out.append(
            warning(
                "K8S001",
                f"'{key}' has no Kubernetes equivalent and was not rendered",
                f"services.{name}.{key}",
            )
        )
    deploy = service.get("deploy") or {}
    for key in sorted(deploy):
        if key not in DEPLOY_TRANSLATED and present(deploy[key]):
            out.append(
                warning(
                    "K8S001",
                    f"'deploy.{key}' has no Kubernetes equivalent here and was "
                    "not rendered",
                    f"services.{name}.deploy.{key}",
                )
            )
    return out
