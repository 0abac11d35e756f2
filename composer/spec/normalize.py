"""The final shape of a merged service: absolute paths, defaults, units.

The result has the shape ``docker compose config --format json`` prints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from composer.errors import ConfigError, Location
from composer.spec.canonical import to_mapping
from composer.spec.dotenv import read_env_file
from composer.spec.fields import convert_units, finish_deploy, finish_limits
from composer.spec.omitted import drop_false_resource, drop_false_service
from composer.spec.units import normalize_bytes

_OMIT_EMPTY = (
    "environment",
    "labels",
    "annotations",
    "ports",
    "volumes",
    "links",
    "expose",
    "dns",
    "dns_search",
    "dns_opt",
    "tmpfs",
    "cap_add",
    "cap_drop",
    "security_opt",
    "sysctls",
    "devices",
    "secrets",
    "configs",
    "external_links",
    "group_add",
    "extra_hosts",
    "volumes_from",
    "profiles",
    "depends_on",
)
_REMOTE = ("http://", "https://", "git://", "git@", "github.com/", "ssh://")


@dataclass(frozen=True)
class Context:
    """What normalisation needs to know about the project."""

    working_dir: str
    environ: Mapping[str, str]
    home: str
    # Without interpolation Compose prints the untyped model: no empty defaults.
    typed: bool = True


def resolve_path(path: str, base: str, home: str) -> str:
    """A path from a Compose file made absolute (``~`` is the home directory)."""
    if len(path) > 2 and path[1] == ":" and path[0].isalpha() and path[2] in "\\/":
        return path
    if path == "~" or path.startswith("~/"):
        return os.path.normpath(home + path[1:])
    if os.path.isabs(path):
        return os.path.normpath(path)
    return os.path.normpath(os.path.join(base, path))


def absolutize_service(svc: dict[str, Any], base: str, home: str) -> dict[str, Any]:
    """Resolve the relative paths of a service against ``base``."""
    out = dict(svc)
    build = out.get("build")
    if isinstance(build, dict):
        build = dict(build)
        context = str(build.get("context") or ".")
        if not context.startswith(_REMOTE):
            build["context"] = resolve_path(context, base, home)
        out["build"] = build
    if isinstance(out.get("env_file"), list):
        out["env_file"] = [
            {**e, "path": resolve_path(str(e["path"]), base, home)}
            if isinstance(e, dict) and "path" in e
            else e
            for e in out["env_file"]
        ]
    if isinstance(out.get("volumes"), list):
        vols = []
        for vol in out["volumes"]:
            if (
                isinstance(vol, dict)
                and vol.get("type") == "bind"
                and vol.get("source")
            ):
                vol = {**vol, "source": resolve_path(str(vol["source"]), base, home)}
            vols.append(vol)
        out["volumes"] = vols
    return out


def env_file_paths(svc: Mapping[str, Any], ctx: Context) -> list[str]:
    """The absolute paths of a canonical service's ``env_file``, read or not."""
    return [
        resolve_path(str(entry["path"]), ctx.working_dir, ctx.home)
        for entry in svc.get("env_file") or []
        if isinstance(entry, dict) and "path" in entry
    ]


def label_file_paths(svc: Mapping[str, Any], ctx: Context) -> list[str]:
    """The absolute paths of a canonical service's ``label_file`` entries."""
    return [
        resolve_path(str(file), ctx.working_dir, ctx.home)
        for file in svc.get("label_file") or []
    ]


def finish_service(name: str, svc: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """Fill defaults and convert units of one merged, canonical service."""
    out = {k: v for k, v in svc.items() if not k.startswith("x-")}
    out = absolutize_service(out, ctx.working_dir, ctx.home)
    build = out.get("build")
    if isinstance(build, dict):
        _finish_build(build, ctx)
    if "label_file" in out:
        labels: dict[str, Any] = {}
        for path in label_file_paths(out, ctx):
            labels.update(read_env_file(path))
        out.pop("label_file")
        labels.update(out.get("labels") or {})
        out["labels"] = labels
    if isinstance(out.get("extra_hosts"), list):
        out["extra_hosts"] = sorted(out["extra_hosts"])
    _environment(name, out, ctx)
    if ctx.typed:
        out.setdefault("command", None)
        out.setdefault("entrypoint", None)
    if not out.get("networks") and not out.get("network_mode"):
        out["networks"] = {"default": None}
    _develop(out, ctx)
    if out.get("pull_policy") == "if_not_present":
        out["pull_policy"] = "missing"
    for kind in ("secrets", "configs"):
        refs = out.get(kind)
        if isinstance(refs, list):
            out[kind] = [
                {**r, "mode": _octal(r["mode"])}
                if isinstance(r, dict) and isinstance(r.get("mode"), int)
                else r
                for r in refs
            ]
    secrets = out.get("secrets")
    if isinstance(secrets, list):
        out["secrets"] = [
            {**s, "target": s.get("target") or f"/run/secrets/{s['source']}"}
            if isinstance(s, dict) and s.get("source")
            else s
            for s in secrets
        ]
    convert_units(out)
    finish_deploy(out)
    finish_limits(out)
    for key in _OMIT_EMPTY:
        if key in out and out[key] in ([], {}, None):
            del out[key]
    _implicit_dependencies(out)
    return drop_false_service(out) if ctx.typed else out


def _octal(mode: int) -> str:
    """A file mode as Compose prints it: an octal string with a leading 0."""
    return f"0{mode:o}"


def _develop(out: dict[str, Any], ctx: Context) -> None:
    develop = out.get("develop")
    if not isinstance(develop, dict) or not isinstance(develop.get("watch"), list):
        return
    watch = []
    for rule in develop["watch"]:
        if isinstance(rule, dict):
            rule = dict(rule)
            if rule.get("path"):
                rule["path"] = resolve_path(
                    str(rule["path"]), ctx.working_dir, ctx.home
                )
            if ctx.typed:
                rule.setdefault("exec", {"command": None})
        watch.append(rule)
    out["develop"] = {**develop, "watch": watch}


def _finish_build(build: dict[str, Any], ctx: Context) -> None:
    if not build.get("dockerfile_inline"):
        build.setdefault("dockerfile", "Dockerfile")
    contexts = build.get("additional_contexts")
    if isinstance(contexts, dict):
        build["additional_contexts"] = {
            k: v if "://" in str(v) else resolve_path(str(v), ctx.working_dir, ctx.home)
            for k, v in contexts.items()
        }
    args = build.get("args")
    if isinstance(args, dict):
        resolved = {}
        for k, v in args.items():
            if v is None:
                if k not in ctx.environ:
                    continue
                v = ctx.environ[k]
            resolved[k] = v
        build["args"] = resolved
    if isinstance(build.get("secrets"), list):
        build["secrets"] = [
            {"source": s} if isinstance(s, str) else s for s in build["secrets"]
        ]
    if "shm_size" in build:
        build["shm_size"] = normalize_bytes(build["shm_size"])
    if isinstance(build.get("extra_hosts"), list):
        build["extra_hosts"] = sorted(build["extra_hosts"])


def _environment(name: str, out: dict[str, Any], ctx: Context) -> None:
    if not ctx.typed:
        # Compose neither reads env files nor resolves bare names then: it
        # prints env_file itself, with each entry's defaults filled in.
        if out.get("env_file"):
            out["env_file"] = [_env_file_entry(e) for e in out["env_file"]]
        return
    files = out.pop("env_file", None)
    env: dict[str, Any] = {}
    for entry in files or []:
        path = str(entry.get("path"))
        if not os.path.isfile(path):
            if entry.get("required", True) is False:
                continue
            raise ConfigError.at(
                "C150",
                f'env file {path} not found (service "{name}")',
                Location(path),
                key=f"services.{name}.env_file",
            )
        if entry.get("format") == "raw":
            env.update(_read_raw(path))
        else:
            env.update(read_env_file(path, ctx.environ))
    env.update(out.get("environment") or {})
    for key, value in env.items():
        if value is None and key in ctx.environ:
            env[key] = ctx.environ[key]
    if env or "environment" in out:
        out["environment"] = env


def _env_file_entry(entry: Any) -> Any:
    """An ``env_file`` entry as Compose prints it unread: ``required`` filled in."""
    if isinstance(entry, dict):
        return {**entry, "required": entry.get("required", True)}
    return entry


def _read_raw(path: str) -> dict[str, str]:
    """An env file in ``raw`` format: ``KEY=VALUE`` lines taken literally."""
    out: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError.at(
            "C121", f"cannot read env file: {exc}", Location(path)
        ) from exc
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value
    return out


def _implicit_dependencies(out: dict[str, Any]) -> None:
    """links, volumes_from and network_mode/ipc/pid service:x imply depends_on."""
    needed: list[tuple[str, bool]] = []
    for link in out.get("links") or []:
        needed.append((str(link).split(":", 1)[0], True))
    for key in ("network_mode", "ipc", "pid"):
        mode = out.get(key)
        if isinstance(mode, str) and mode.startswith("service:"):
            needed.append((mode.split(":", 1)[1], True))
    for source in out.get("volumes_from") or []:
        text = str(source)
        if not text.startswith("container:"):
            needed.append((text.split(":", 1)[0], False))
    if not needed:
        return
    deps = dict(out.get("depends_on") or {})
    for dep, restart in needed:
        if dep not in deps:
            entry: dict[str, Any] = {"condition": "service_started", "required": True}
            if restart:
                entry["restart"] = True
            deps[dep] = entry
    out["depends_on"] = deps


def finish_resources(model: dict[str, Any], project: str, ctx: Context) -> None:
    """Name, resolve and prune the top-level networks, volumes, secrets, configs."""
    services: Mapping[str, Mapping[str, Any]] = model.get("services") or {}
    used = _used_resources(services)
    for section in ("networks", "volumes", "secrets", "configs"):
        declared = model.get(section) or {}
        if section == "networks" and "default" in used["networks"]:
            declared = (
                {"default": None, **declared} if "default" not in declared else declared
            )
        result: dict[str, Any] = {}
        for key, spec in declared.items():
            if key not in used[section]:
                continue
            result[key] = _finish_resource(section, key, dict(spec or {}), project, ctx)
        if result:
            model[section] = result
        else:
            model.pop(section, None)


def _finish_resource(
    section: str, key: str, spec: dict[str, Any], project: str, ctx: Context
) -> dict[str, Any]:
    external = spec.get("external")
    if isinstance(external, dict):
        spec["external"] = True
        if external.get("name"):
            spec.setdefault("name", external["name"])
        external = True
    if not spec.get("name"):
        spec["name"] = key if external else f"{project}_{key}"
    if section == "networks":
        if ctx.typed:
            spec.setdefault("ipam", {})
        if isinstance(spec.get("ipam"), dict) and "options" in spec["ipam"]:
            spec["ipam"] = {k: v for k, v in spec["ipam"].items() if k != "options"}
        if key == "default":
            spec = {k: v for k, v in spec.items() if not k.startswith("x-")}
    if isinstance(spec.get("labels"), list):
        spec["labels"] = to_mapping(spec["labels"], empty="")
    if section in ("secrets", "configs") and spec.get("file"):
        spec["file"] = resolve_path(str(spec["file"]), ctx.working_dir, ctx.home)
    return drop_false_resource(section, spec) if ctx.typed else spec


def _used_resources(services: Mapping[str, Mapping[str, Any]]) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {
        k: set() for k in ("networks", "volumes", "secrets", "configs")
    }
    for svc in services.values():
        used["networks"].update(svc.get("networks") or {})
        for vol in svc.get("volumes") or []:
            if (
                isinstance(vol, dict)
                and vol.get("type") == "volume"
                and vol.get("source")
            ):
                used["volumes"].add(str(vol["source"]))
        for kind in ("secrets", "configs"):
            for ref in svc.get(kind) or []:
                if isinstance(ref, dict) and ref.get("source"):
                    used[kind].add(str(ref["source"]))
        build = svc.get("build")
        if isinstance(build, dict):
            for ref in build.get("secrets") or []:
                used["secrets"].add(
                    str(ref.get("source") if isinstance(ref, dict) else ref)
                )
    return used
