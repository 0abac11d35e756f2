"""A loaded Project as the Swarm state it asks for (pure but for reading files)."""

from __future__ import annotations

import hashlib
import logging
import shlex
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from composer.errors import ConfigError
from composer.spec.project import Project
from composer.targets.swarm.model import (
    HASH_LABEL,
    NAMESPACE_LABEL,
    SOURCE_LABEL,
    BlobDef,
    NetworkDef,
    ServiceDef,
    SwarmDesired,
)
from composer.targets.swarm.spec import (
    JOB_MODES,
    JOB_RESTART_DEFAULTS,
    MODES,
    RESTART_DEFAULTS,
    UPDATE_DEFAULTS,
    duration,
)

log = logging.getLogger(__name__)

#: Swarm names secrets and configs with at most 64 characters.
MAX_NAME = 64
#: How many hex digits of the content's SHA-256 a version's name carries.
HASH_DIGITS = 10

#: Service keys the Swarm target translates (or that need no translation).
_HANDLED = frozenset(
    {
        "image", "command", "entrypoint", "environment", "labels", "working_dir",
        "user", "hostname", "tty", "stdin_open", "read_only", "init",
        "stop_signal", "stop_grace_period", "healthcheck", "volumes", "secrets",
        "configs", "networks", "ports", "deploy", "restart", "scale", "expose",
        "env_file", "label_file", "profiles", "pull_policy", "build",
    }
)  # fmt: skip


def build_swarm_desired(project: Project, only: Iterable[str] = ()) -> SwarmDesired:
    """What the swarm should run for ``project`` (``only``: a subset of services)."""
    chosen = set(only)
    for name in chosen:
        if name not in project.services:
            raise ConfigError(f"no such service: {name}")
    keys = [k for k in sorted(project.services) if not chosen or k in chosen]
    warnings: list[str] = []
    secrets = _blobs(project, "secrets", keys)
    configs = _blobs(project, "configs", keys)
    networks = _networks(project, keys)
    services = {
        key: ServiceDef(
            key,
            f"{project.name}_{key}",
            _view(project, key, project.services[key], secrets, configs, warnings),
        )
        for key in keys
    }
    for warning in warnings:
        # The plan carries them to the user; this is for the debug log.
        log.debug("%s", warning)
    return SwarmDesired(
        project.name, services, networks, secrets, configs, tuple(warnings)
    )


# -- networks, secrets, configs ---------------------------------------------


def _declared(
    project: Project, section: str, used: set[str]
) -> Iterator[tuple[str, Mapping[str, Any], str]]:
    """Each used key of a top-level section, by key: its entry and its name."""
    declared = project.section(section)
    for key in sorted(used):
        entry: Mapping[str, Any] = declared.get(key) or {}
        yield key, entry, str(entry.get("name") or f"{project.name}_{key}")


def _networks(project: Project, keys: list[str]) -> dict[str, NetworkDef]:
    used = {n for k in keys for n in (project.services[k].get("networks") or {})}
    out: dict[str, NetworkDef] = {}
    for key, entry, name in _declared(project, "networks", used):
        if entry.get("external"):
            out[key] = NetworkDef(key, name, external=True)
            continue
        ipam: Mapping[str, Any] = entry.get("ipam") or {}
        out[key] = NetworkDef(
            key,
            name,
            driver=str(entry.get("driver") or "overlay"),
            attachable=bool(entry.get("attachable")),
            internal=bool(entry.get("internal")),
            labels={**_strings(entry.get("labels")), NAMESPACE_LABEL: project.name},
            options=_strings(entry.get("driver_opts")),
            subnets=tuple(
                str(c["subnet"]) for c in ipam.get("config") or () if c.get("subnet")
            ),
        )
    return out


def _blobs(project: Project, section: str, keys: list[str]) -> dict[str, BlobDef]:
    used = {
        str(ref["source"])
        for k in keys
        for ref in project.services[k].get(section) or ()
    }
    out: dict[str, BlobDef] = {}
    for key, entry, name in _declared(project, section, used):
        if entry.get("external"):
            out[key] = BlobDef(key, name, external=True)
            continue
        data = _content(project, section, key, entry)
        digest = hashlib.sha256(data).hexdigest()
        base = name[: MAX_NAME - HASH_DIGITS - 1]
        out[key] = BlobDef(
            key,
            f"{base}_{digest[:HASH_DIGITS]}",
            data=data,
            digest=digest,
            labels={
                **_strings(entry.get("labels")),
                NAMESPACE_LABEL: project.name,
                SOURCE_LABEL: key,
                HASH_LABEL: digest,
            },
        )
    return out


def _content(
    project: Project, section: str, key: str, entry: Mapping[str, Any]
) -> bytes:
    where = f"{section}.{key}"
    if entry.get("file") is not None:
        path = Path(project.working_dir, str(entry["file"]))
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ConfigError.at(
                "C150", f"cannot read {path}: {exc.strerror}", key=f"{where}.file"
            ) from exc
    if entry.get("environment") is not None:
        var = str(entry["environment"])
        if var not in project.environment:
            raise ConfigError.at(
                "C151", f"variable {var} is not set", key=f"{where}.environment"
            )
        return project.environment[var].encode()
    if entry.get("content") is not None:
        return str(entry["content"]).encode()
    raise ConfigError.at(
        "C152", "needs file, environment, content or external", key=where
    )


# -- services ----------------------------------------------------------------


def _view(
    project: Project,
    key: str,
    service: Mapping[str, Any],
    secrets: Mapping[str, BlobDef],
    configs: Mapping[str, BlobDef],
    warnings: list[str],
) -> dict[str, Any]:
    _warn_unsupported(key, service, warnings)
    image = service.get("image")
    if not image:
        raise ConfigError.at(
            "C153",
            "a swarm cannot build images; name the image to run",
            key=f"services.{key}.image",
            hint="build and push it first, then set image:",
        )
    health = _health(service.get("healthcheck"))
    return {
        "name": f"{project.name}_{key}",
        "image": str(image),
        "command": _words(service.get("command")),
        "entrypoint": _words(service.get("entrypoint")),
        "environment": {
            str(k): str(v)
            for k, v in (service.get("environment") or {}).items()
            if v is not None
        },
        "labels": _strings(service.get("labels")),
        "working_dir": service.get("working_dir"),
        "user": _text(service.get("user")),
        "hostname": service.get("hostname"),
        "tty": bool(service.get("tty")),
        "stdin_open": bool(service.get("stdin_open")),
        "read_only": bool(service.get("read_only")),
        "init": service.get("init"),
        "stop_signal": service.get("stop_signal"),
        "stop_grace_period": duration(service.get("stop_grace_period")),
        "healthcheck": health,
        "volumes": [_mount(project, m) for m in service.get("volumes") or ()],
        "secrets": [
            _file_ref(r, secrets, "/run/secrets/") for r in service.get("secrets") or ()
        ],
        "configs": [_file_ref(r, configs, "/") for r in service.get("configs") or ()],
        "networks": _service_networks(project, key, service),
        "ports": [_port(p) for p in service.get("ports") or ()],
        "deploy": _deploy(key, service, warnings),
    }


def _warn_unsupported(
    key: str, service: Mapping[str, Any], warnings: list[str]
) -> None:
    for field in sorted(service):
        if field in _HANDLED or field.startswith("x-"):
            continue
        if field == "depends_on":
            warnings.append(
                f"services.{key}.depends_on: a swarm starts services in no order"
            )
            continue
        warnings.append(f"services.{key}.{field}: not supported by swarm, ignored")
    if service.get("build") is not None:
        warnings.append(
            f"services.{key}.build: a swarm does not build; every node needs "
            f"the image {service.get('image')}"
        )


def _health(raw: Any) -> dict[str, Any] | None:
    if not raw:
        return None
    if raw.get("disable"):
        return {"test": ["NONE"]}
    test = raw.get("test")
    out: dict[str, Any] = {
        "test": ["CMD-SHELL", test] if isinstance(test, str) else test,
        "interval": duration(raw.get("interval")),
        "timeout": duration(raw.get("timeout")),
        "retries": raw.get("retries"),
        "start_period": duration(raw.get("start_period")),
    }
    return {k: v for k, v in out.items() if v is not None}


def _mount(project: Project, mount: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(mount.get("type") or "volume")
    source = mount.get("source")
    if kind == "volume" and source:
        entry: Mapping[str, Any] = project.section("volumes").get(str(source)) or {}
        source = entry.get("name") or f"{project.name}_{source}"
    return {
        "type": kind,
        "source": None if source is None else str(source),
        "target": str(mount.get("target", "")),
        "read_only": bool(mount.get("read_only")),
    }


def _file_ref(
    ref: Mapping[str, Any], blobs: Mapping[str, BlobDef], prefix: str
) -> dict[str, Any]:
    source = str(ref["source"])
    target = str(ref.get("target") or source)
    if prefix != "/" and target.startswith(prefix):
        target = target[len(prefix) :]
    elif prefix == "/" and not target.startswith("/"):
        target = "/" + target
    mode = ref.get("mode")
    return {
        "name": blobs[source].name,
        "target": target,
        "uid": str(ref.get("uid") or "0"),
        "gid": str(ref.get("gid") or "0"),
        "mode": 0o444 if mode is None else _mode(mode),
    }


def _mode(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(str(value), 8)


def _service_networks(
    project: Project, key: str, service: Mapping[str, Any]
) -> list[dict[str, Any]]:
    out = []
    section = project.section("networks")
    for net, opts in (service.get("networks") or {}).items():
        entry: Mapping[str, Any] = section.get(net) or {}
        aliases = [key, *((opts or {}).get("aliases") or ())]
        out.append(
            {
                "name": str(entry.get("name") or f"{project.name}_{net}"),
                "aliases": list(dict.fromkeys(str(a) for a in aliases)),
            }
        )
    return sorted(out, key=lambda n: str(n["name"]))


def _port(port: Mapping[str, Any]) -> dict[str, Any]:
    published = port.get("published")
    return {
        "target": int(port["target"]),
        "published": None if published in (None, "") else int(published),
        "protocol": str(port.get("protocol") or "tcp"),
        "mode": str(port.get("mode") or "ingress"),
    }


def _deploy(
    key: str, service: Mapping[str, Any], warnings: list[str]
) -> dict[str, Any]:
    deploy: Mapping[str, Any] = service.get("deploy") or {}
    mode = str(deploy.get("mode") or "replicated")
    if mode not in MODES:
        raise ConfigError.at(
            "C154",
            f"unknown mode {mode}; use one of {', '.join(MODES)}",
            key=f"services.{key}.deploy.mode",
        )
    job = mode in JOB_MODES
    replicas = deploy.get("replicas")
    if replicas is None:
        replicas = service.get("scale", 1)
    if job:
        # A job's tasks run to completion once: there is no rolling update.
        for field in ("update_config", "rollback_config"):
            if deploy.get(field):
                warnings.append(
                    f"services.{key}.deploy.{field}: a job is re-run, not "
                    "rolled, on change; ignored"
                )
    placement: Mapping[str, Any] = deploy.get("placement") or {}
    return {
        "mode": mode,
        "replicas": int(replicas) if mode in ("replicated", "replicated-job") else None,
        "endpoint_mode": str(deploy.get("endpoint_mode") or "vip"),
        "labels": _strings(deploy.get("labels")),
        "update_config": None
        if job
        else _keyed(deploy.get("update_config"), UPDATE_DEFAULTS),
        "rollback_config": None
        if job
        else _keyed(deploy.get("rollback_config"), UPDATE_DEFAULTS),
        "restart_policy": _restart(deploy.get("restart_policy"), service, job),
        "resources": _resources(deploy.get("resources") or {}),
        "placement": {
            "constraints": [str(c) for c in placement.get("constraints") or ()],
            "preferences": [
                str(p.get("spread", "")) for p in placement.get("preferences") or ()
            ],
            "max_replicas_per_node": placement.get("max_replicas_per_node") or None,
        },
    }


def _keyed(raw: Any, defaults: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(defaults)
    for key, value in (raw or {}).items():
        if key not in defaults or value is None:
            continue
        out[key] = duration(value) if key in ("delay", "monitor", "window") else value
    if "max_failure_ratio" in out:
        out["max_failure_ratio"] = float(out["max_failure_ratio"])
    return out


def _restart(raw: Any, service: Mapping[str, Any], job: bool) -> dict[str, Any]:
    # A job's task that exits 0 is done: by default only a failure is retried.
    defaults = JOB_RESTART_DEFAULTS if job else RESTART_DEFAULTS
    if raw:
        return _keyed(raw, defaults)
    restart = str(service.get("restart") or "")
    if restart == "no":
        return _keyed({"condition": "none"}, defaults)
    if restart.startswith("on-failure"):
        _, _, count = restart.partition(":")
        return _keyed(
            {"condition": "on-failure", "max_attempts": int(count or 0)},
            defaults,
        )
    return dict(defaults)


def _resources(raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("limits", "reservations"):
        part: Mapping[str, Any] = raw.get(key) or {}
        values: dict[str, Any] = {}
        if part.get("cpus") not in (None, 0, "0"):
            values["cpus"] = float(part["cpus"])
        if part.get("memory") not in (None, 0, "0"):
            values["memory"] = int(part["memory"])
        if key == "limits" and part.get("pids"):
            values["pids"] = int(part["pids"])
        if values:
            out[key] = values
    return out


def _words(value: Any) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value)
    return [str(v) for v in value]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _strings(raw: Any) -> dict[str, str]:
    if not raw:
        return {}
    if isinstance(raw, list):
        pairs = (str(item).partition("=") for item in raw)
        return {k: v for k, _, v in pairs}
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}
