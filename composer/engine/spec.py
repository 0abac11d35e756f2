"""Typed engine-side specifications of the objects composer creates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NetworkSpec:
    """Everything needed to create one network."""

    name: str
    driver: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    internal: bool = False
    attachable: bool = False
    enable_ipv6: bool = False
    ipam_driver: str | None = None
    ipam_config: tuple[Mapping[str, str], ...] = ()


@dataclass(frozen=True)
class VolumeSpec:
    """Everything needed to create one named volume."""

    name: str
    driver: str | None = None
    driver_opts: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Attachment:
    """A container's endpoint on one network."""

    name: str
    aliases: tuple[str, ...] = ()
    ipv4_address: str | None = None


@dataclass(frozen=True)
class Mount:
    """A bind, volume or tmpfs mount."""

    type: str
    target: str
    source: str | None = None
    read_only: bool = False
    tmpfs_size: int | None = None
    no_copy: bool = False


@dataclass(frozen=True)
class InjectedFile:
    """A file copied into the container before it starts (inline content)."""

    target: str
    content: bytes
    mode: int = 0o444


@dataclass(frozen=True)
class PortBinding:
    """One published port: container port/protocol to a host port or range."""

    target: int
    protocol: str = "tcp"
    published: str | None = None
    host_ip: str | None = None


@dataclass(frozen=True)
class Healthcheck:
    """A health check in the engine's units (nanoseconds)."""

    test: tuple[str, ...]
    interval: int | None = None
    timeout: int | None = None
    retries: int | None = None
    start_period: int | None = None
    start_interval: int | None = None


@dataclass(frozen=True)
class ContainerSpec:
    """The full, typed configuration of one container."""

    image: str
    labels: Mapping[str, str]
    command: tuple[str, ...] | None = None
    entrypoint: tuple[str, ...] | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    user: str | None = None
    working_dir: str | None = None
    hostname: str | None = None
    domainname: str | None = None
    tty: bool = False
    stdin_open: bool = False
    stop_signal: str | None = None
    stop_timeout: int | None = None
    healthcheck: Healthcheck | None = None
    ports: tuple[PortBinding, ...] = ()
    expose: tuple[str, ...] = ()
    mounts: tuple[Mount, ...] = ()
    networks: tuple[Attachment, ...] = ()
    network_mode: str | None = None
    restart: str | None = None
    init: bool | None = None
    privileged: bool = False
    read_only: bool = False
    cap_add: tuple[str, ...] = ()
    cap_drop: tuple[str, ...] = ()
    extra_hosts: tuple[str, ...] = ()
    dns: tuple[str, ...] = ()
    dns_search: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    ulimits: tuple[tuple[str, int, int], ...] = ()
    sysctls: Mapping[str, str] = field(default_factory=dict)
    mem_limit: int | None = None
    mem_reservation: int | None = None
    nano_cpus: int | None = None
    cpu_shares: int | None = None
    pids_limit: int | None = None
    shm_size: int | None = None
    tmpfs: Mapping[str, str] = field(default_factory=dict)
    log_driver: str | None = None
    log_options: Mapping[str, str] = field(default_factory=dict)
    volumes_from: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    pid: str | None = None
    ipc: str | None = None
    group_add: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    files: tuple[InjectedFile, ...] = ()

    def exposed_ports(self) -> list[Any]:
        """Container ports to expose, as the SDK wants them."""
        ports: list[Any] = [(p.target, p.protocol) for p in self.ports]
        for item in self.expose:
            number, _, proto = item.partition("/")
            ports.append((int(number), proto or "tcp"))
        return ports

    def port_bindings(self) -> dict[str, list[Any]]:
        """Host bindings per ``port/protocol``."""
        out: dict[str, list[Any]] = {}
        for p in self.ports:
            key = f"{p.target}/{p.protocol}"
            host = (p.host_ip or "", p.published or "")
            out.setdefault(key, []).append(host)
        return out
