"""Turn a desired service replica into the typed specs the engine creates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from composer import __version__
from composer.engine import labels as L
from composer.engine.spec import (
    Attachment,
    ContainerSpec,
    Healthcheck,
    InjectedFile,
    Mount,
    NetworkSpec,
    PortBinding,
    VolumeSpec,
)
from composer.graph import Desired, NetworkNode, ServiceNode, VolumeNode
from composer.plan.config import digest, effective_config, encode

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 10**3, "µs": 10**3, "ms": 10**6, "s": 10**9}
_UNITS |= {"m": 60 * 10**9, "h": 3600 * 10**9}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$", re.IGNORECASE)


def duration_ns(value: Any) -> int | None:
    """Parse a Compose duration (``1m30s``, ``500ms``, seconds as number)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return int(value * 10**9)
    total = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(str(value)))
    return int(total)


def size_bytes(value: Any) -> int | None:
    """Parse a Compose byte size (``64m``, ``1g``, plain bytes)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return int(value)
    match = _SIZE.match(str(value).strip())
    if not match:
        return None
    power = " kmgt".index(match.group(2).lower() or " ")
    return int(float(match.group(1)) * 1024**power)


def network_spec(desired: Desired, node: NetworkNode) -> NetworkSpec:
    """The spec of a project network, with Compose's labels."""
    d = node.definition
    ipam = d.get("ipam") or {}
    labels = {**_labels(d.get("labels")), L.PROJECT: desired.project}
    labels |= {L.NETWORK: node.key, L.VERSION: L.COMPOSE_VERSION}
    return NetworkSpec(
        name=node.name,
        driver=d.get("driver"),
        options={str(k): str(v) for k, v in (d.get("driver_opts") or {}).items()},
        labels=labels,
        internal=bool(d.get("internal")),
        attachable=bool(d.get("attachable")),
        enable_ipv6=bool(d.get("enable_ipv6")),
        ipam_driver=ipam.get("driver"),
        ipam_config=tuple(ipam.get("config") or ()),
    )


def volume_spec(desired: Desired, node: VolumeNode) -> VolumeSpec:
    """The spec of a project volume, with Compose's labels."""
    d = node.definition
    labels = {**_labels(d.get("labels")), L.PROJECT: desired.project}
    labels |= {L.VOLUME: node.key, L.VERSION: L.COMPOSE_VERSION}
    return VolumeSpec(
        name=node.name,
        driver=d.get("driver"),
        driver_opts={str(k): str(v) for k, v in (d.get("driver_opts") or {}).items()},
        labels=labels,
    )


def container_labels(
    desired: Desired,
    node: ServiceNode,
    number: int,
    image_id: str | None,
    config_hash: str | None,
) -> dict[str, str]:
    """Compose's ownership labels plus composer's applied configuration."""
    effective = effective_config(node, image_id)
    out = _labels(node.definition.get("labels"))
    out |= {
        L.PROJECT: desired.project,
        L.SERVICE: node.name,
        L.CONTAINER_NUMBER: str(number),
        L.ONEOFF: "False",
        L.CONFIG_HASH: config_hash or digest(effective),
        L.WORKING_DIR: desired.working_dir,
        L.CONFIG_FILES: ",".join(desired.config_files),
        L.VERSION: L.COMPOSE_VERSION,
        L.IMAGE: image_id or "",
        L.DEPENDS_ON: ",".join(
            f"{d.service}:{d.condition.value}:{str(d.restart).lower()}"
            for d in node.dependencies
        ),
        L.SERVICE_CONFIG: encode(effective),
        "composer.version": __version__,
    }
    return out


def container_spec(
    desired: Desired, node: ServiceNode, labels: Mapping[str, str]
) -> ContainerSpec:
    """The full engine configuration of one replica of ``node``."""
    d = node.definition
    deploy = d.get("deploy") or {}
    limits = (deploy.get("resources") or {}).get("limits") or {}
    reservations = (deploy.get("resources") or {}).get("reservations") or {}
    cpus = d.get("cpus") or limits.get("cpus")
    logging_ = d.get("logging") or {}
    mode = d.get("network_mode")
    return ContainerSpec(
        image=node.image,
        labels=labels,
        command=_argv(d.get("command")),
        entrypoint=_argv(d.get("entrypoint")),
        environment={
            str(k): str(v)
            for k, v in (d.get("environment") or {}).items()
            if v is not None
        },
        user=d.get("user"),
        working_dir=d.get("working_dir"),
        hostname=d.get("hostname"),
        domainname=d.get("domainname"),
        tty=bool(d.get("tty")),
        stdin_open=bool(d.get("stdin_open")),
        stop_signal=d.get("stop_signal"),
        stop_timeout=_seconds(d.get("stop_grace_period")),
        healthcheck=_healthcheck(d.get("healthcheck")),
        ports=tuple(_port(p) for p in d.get("ports") or ()),
        expose=tuple(str(e) for e in d.get("expose") or ()),
        mounts=_mounts(desired, node),
        networks=_attachments(desired, node) if not mode else (),
        network_mode=_network_mode(desired, mode),
        restart=d.get("restart"),
        init=d.get("init"),
        privileged=bool(d.get("privileged")),
        read_only=bool(d.get("read_only")),
        cap_add=tuple(d.get("cap_add") or ()),
        cap_drop=tuple(d.get("cap_drop") or ()),
        extra_hosts=_extra_hosts(d.get("extra_hosts")),
        dns=_strings(d.get("dns")),
        dns_search=_strings(d.get("dns_search")),
        security_opt=tuple(d.get("security_opt") or ()),
        ulimits=_ulimits(d.get("ulimits")),
        sysctls={str(k): str(v) for k, v in (d.get("sysctls") or {}).items()},
        mem_limit=size_bytes(d.get("mem_limit") or limits.get("memory")),
        mem_reservation=size_bytes(
            d.get("mem_reservation") or reservations.get("memory")
        ),
        nano_cpus=int(float(cpus) * 10**9) if cpus else None,
        cpu_shares=d.get("cpu_shares"),
        pids_limit=d.get("pids_limit") or limits.get("pids"),
        shm_size=size_bytes(d.get("shm_size")),
        tmpfs={str(t).split(":", 1)[0]: "" for t in _strings(d.get("tmpfs"))},
        log_driver=logging_.get("driver"),
        log_options={
            str(k): str(v) for k, v in (logging_.get("options") or {}).items()
        },
        volumes_from=_volumes_from(desired, d.get("volumes_from")),
        links=tuple(_link(desired, x) for x in d.get("links") or ()),
        pid=d.get("pid"),
        ipc=d.get("ipc"),
        group_add=tuple(str(g) for g in d.get("group_add") or ()),
        devices=tuple(_device(x) for x in d.get("devices") or ()),
        files=_injected(desired, node),
    )


def _labels(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    out: dict[str, str] = {}
    for item in value or ():
        key, _, val = str(item).partition("=")
        out[key] = val
    return out


def _argv(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return ("/bin/sh", "-c", value)
    return tuple(str(v) for v in value)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _seconds(value: Any) -> int | None:
    ns = duration_ns(value)
    return None if ns is None else ns // 10**9


def _healthcheck(value: Any) -> Healthcheck | None:
    if not value:
        return None
    if value.get("disable"):
        return Healthcheck(test=("NONE",))
    test = value.get("test")
    argv = ("CMD-SHELL", test) if isinstance(test, str) else tuple(test or ())
    return Healthcheck(
        test=argv,
        interval=duration_ns(value.get("interval")),
        timeout=duration_ns(value.get("timeout")),
        retries=value.get("retries"),
        start_period=duration_ns(value.get("start_period")),
        start_interval=duration_ns(value.get("start_interval")),
    )


def _port(value: Mapping[str, Any]) -> PortBinding:
    published = value.get("published")
    return PortBinding(
        target=int(value["target"]),
        protocol=str(value.get("protocol") or "tcp"),
        published=str(published) if published not in (None, "") else None,
        host_ip=value.get("host_ip"),
    )


def _mounts(desired: Desired, node: ServiceNode) -> tuple[Mount, ...]:
    d = node.definition
    out: list[Mount] = []
    for v in d.get("volumes") or ():
        kind = str(v.get("type") or "volume")
        source = v.get("source")
        if kind == "volume" and source in desired.volumes:
            source = desired.volumes[source].name
        out.append(
            Mount(
                type=kind,
                target=str(v["target"]),
                source=str(source) if source else None,
                read_only=bool(v.get("read_only")),
                tmpfs_size=size_bytes((v.get("tmpfs") or {}).get("size")),
                no_copy=bool((v.get("volume") or {}).get("nocopy")),
            )
        )
    for section in ("secrets", "configs"):
        top = _section(desired, node, section)
        for ref in d.get(section) or ():
            source = str(ref.get("source"))
            path = (top.get(source) or {}).get("file")
            if path:
                target = _target(section, ref)
                out.append(Mount("bind", target, str(path), read_only=True))
    return tuple(out)


def _target(section: str, ref: Mapping[str, Any]) -> str:
    source = str(ref.get("source"))
    default = f"/run/secrets/{source}" if section == "secrets" else f"/{source}"
    target = str(ref.get("target") or default)
    if section == "secrets" and not target.startswith("/"):
        target = f"/run/secrets/{target}"
    return target


def _injected(desired: Desired, node: ServiceNode) -> tuple[InjectedFile, ...]:
    """Secrets and configs given inline or from the environment."""
    out: list[InjectedFile] = []
    for section in ("secrets", "configs"):
        top = _section(desired, node, section)
        for ref in node.definition.get(section) or ():
            spec = top.get(str(ref.get("source"))) or {}
            if "content" in spec and not spec.get("file"):
                mode = int(str(ref.get("mode", "444")), 8)
                content = str(spec["content"]).encode()
                out.append(InjectedFile(_target(section, ref), content, mode))
    return tuple(out)


def _section(desired: Desired, node: ServiceNode, name: str) -> Mapping[str, Any]:
    sections: Mapping[str, Any] = desired.sections.get(name) or {}
    return sections


def _attachments(desired: Desired, node: ServiceNode) -> tuple[Attachment, ...]:
    nets = node.definition.get("networks") or {}
    out: list[Attachment] = []
    for key in sorted(nets, key=lambda k: -int((nets[k] or {}).get("priority", 0))):
        spec = nets[key] or {}
        aliases = (node.name, *tuple(spec.get("aliases") or ()))
        name = desired.networks[key].name if key in desired.networks else key
        out.append(Attachment(name, aliases, spec.get("ipv4_address")))
    return tuple(out)


def _network_mode(desired: Desired, mode: Any) -> str | None:
    if not mode:
        return None
    text = str(mode)
    if text.startswith("service:"):
        target = desired.services[text.split(":", 1)[1]]
        return f"container:{desired.containers(target.name)[0].name}"
    return text


def _extra_hosts(value: Any) -> tuple[str, ...]:
    if isinstance(value, Mapping):
        out: list[str] = []
        for host, ips in value.items():
            for ip in ips if isinstance(ips, list) else [ips]:
                out.append(f"{host}:{ip}")
        return tuple(out)
    return tuple(str(v).replace("=", ":", 1) for v in value or ())


def _ulimits(value: Any) -> tuple[tuple[str, int, int], ...]:
    out: list[tuple[str, int, int]] = []
    for name, limit in (value or {}).items():
        if isinstance(limit, Mapping):
            out.append((str(name), int(limit["soft"]), int(limit["hard"])))
        else:
            out.append((str(name), int(limit), int(limit)))
    return tuple(out)


def _volumes_from(desired: Desired, value: Any) -> tuple[str, ...]:
    out: list[str] = []
    for ref in value or ():
        source, _, mode = str(ref).partition(":")
        if source.startswith("container:"):
            name = source.split(":", 1)[1]
            mode = str(ref).split(":")[2] if str(ref).count(":") > 1 else ""
        elif source in desired.services:
            name = desired.containers(source)[0].name
        else:
            name = source
        out.append(f"{name}:{mode}" if mode else name)
    return tuple(out)


def _link(desired: Desired, value: Any) -> str:
    service, _, alias = str(value).partition(":")
    if service in desired.services:
        target = desired.containers(service)[0].name
        return f"{target}:{alias or service}"
    return f"{service}:{alias or service}"


def _device(value: Any) -> str:
    if isinstance(value, Mapping):
        parts = [value.get("source"), value.get("target"), value.get("permissions")]
        return ":".join(str(p) for p in parts if p)
    return str(value)
