"""The Compose configuration hash of a service (the config-hash label).

Docker Compose (v2.40) hashes the JSON its Go types encode to: struct fields
come in the order the types declare them, map keys sorted, empty fields left
out except ``command`` and ``entrypoint`` (always there, ``null`` when unset),
and ``<``, ``>``, ``&`` escaped as ``\\u003c`` and so on.  The normalised
service of a ``Project`` has the same fields and values as that JSON, so the
hash is its compact JSON with the fields put in that order.  The tables below
give the order of every structured field; a mapping not described is a map
(keys sorted).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# Fields whose change must not recreate a container (as Compose leaves out).
_EXCLUDED = ("build", "pull_policy", "scale", "profiles", "depends_on")

#: A structure: its fields in declaration order, each with the shape of its
#: value (None: a plain value, or a map whose keys are sorted).
Shape = tuple[tuple[str, Any], ...]


def _fields(names: str, **nested: Any) -> Shape:
    return tuple((name, nested.get(name)) for name in names.split())


class _ListOf:
    """Marks a sequence whose items all have one shape."""

    def __init__(self, item: Shape) -> None:
        self.item = item


class _MapOf:
    """Marks a map (sorted keys) whose values all have one shape."""

    def __init__(self, value: Shape) -> None:
        self.value = value


_HOOK = _fields("command user privileged working_dir environment")
_DEVICE_REQUEST = _fields("capabilities driver count device_ids options")
_FILE_REFERENCE = _fields("source target uid gid mode")
_RESOURCE = _fields(
    "cpus memory pids devices generic_resources",
    devices=_ListOf(_DEVICE_REQUEST),
    generic_resources=_ListOf(
        _fields(
            "discrete_resource_spec",
            discrete_resource_spec=_fields("kind value"),
        )
    ),
)
_UPDATE = _fields("parallelism delay failure_action monitor max_failure_ratio order")
_DEPLOY = _fields(
    "mode replicas labels update_config rollback_config resources "
    "restart_policy placement endpoint_mode",
    update_config=_UPDATE,
    rollback_config=_UPDATE,
    resources=_fields("limits reservations", limits=_RESOURCE, reservations=_RESOURCE),
    restart_policy=_fields("condition delay max_attempts window"),
    placement=_fields(
        "constraints preferences max_replicas_per_node",
        preferences=_ListOf(_fields("spread")),
    ),
)
_VOLUME = _fields(
    "type source target read_only consistency bind volume tmpfs image",
    bind=_fields("selinux propagation create_host_path recursive"),
    volume=_fields("labels nocopy subpath"),
    tmpfs=_fields("size mode"),
    image=_fields("subpath"),
)
_SERVICE = _fields(
    "profiles annotations attach build develop blkio_config cap_add cap_drop "
    "cgroup_parent cgroup cpu_count cpu_percent cpu_period cpu_quota "
    "cpu_rt_period cpu_rt_runtime cpus cpuset cpu_shares command configs "
    "container_name credential_spec depends_on deploy device_cgroup_rules "
    "devices dns dns_opt dns_search dockerfile domainname entrypoint provider "
    "environment env_file expose extends external_links extra_hosts group_add "
    "gpus hostname healthcheck image init ipc isolation labels label_file links "
    "logging log_driver log_opt mem_limit mem_reservation memswap_limit "
    "mem_swappiness mac_address models net network_mode networks "
    "oom_kill_disable oom_score_adj pid pids_limit platform ports privileged "
    "pull_policy read_only restart runtime scale secrets security_opt shm_size "
    "stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty "
    "ulimits use_api_socket user userns_mode uts volume_driver volumes "
    "volumes_from working_dir post_start pre_stop",
    develop=_fields(
        "watch",
        watch=_ListOf(
            _fields("path action target exec include ignore initial_sync", exec=_HOOK)
        ),
    ),
    blkio_config=_fields(
        "weight weight_device device_read_bps device_read_iops "
        "device_write_bps device_write_iops",
        weight_device=_ListOf(_fields("path weight")),
        device_read_bps=_ListOf(_fields("path rate")),
        device_read_iops=_ListOf(_fields("path rate")),
        device_write_bps=_ListOf(_fields("path rate")),
        device_write_iops=_ListOf(_fields("path rate")),
    ),
    configs=_ListOf(_FILE_REFERENCE),
    credential_spec=_fields("config file registry"),
    deploy=_DEPLOY,
    devices=_ListOf(_fields("source target permissions")),
    provider=_fields("type options"),
    env_file=_ListOf(_fields("path required format")),
    extends=_fields("file service"),
    gpus=_ListOf(_DEVICE_REQUEST),
    healthcheck=_fields(
        "test timeout interval retries start_period start_interval disable"
    ),
    logging=_fields("driver options"),
    models=_MapOf(_fields("endpoint_var model_var")),
    networks=_MapOf(
        _fields(
            "aliases driver_opts gw_priority interface_name ipv4_address "
            "ipv6_address link_local_ips mac_address priority"
        )
    ),
    ports=_ListOf(_fields("name mode host_ip target published protocol app_protocol")),
    secrets=_ListOf(_FILE_REFERENCE),
    ulimits=_MapOf(_fields("single soft hard")),
    volumes=_ListOf(_VOLUME),
    post_start=_ListOf(_HOOK),
    pre_stop=_ListOf(_HOOK),
)

#: Fields Compose writes even when empty.
_ALWAYS = ("command", "entrypoint")

#: Characters Go's encoder escapes that Python's leaves as they are.
_GO_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_GO_ESCAPES.update({"\u2028": "\\u2028", "\u2029": "\\u2029"})


def service_config_hash(service: Mapping[str, Any]) -> str:
    """sha256 hex of the service as Docker Compose encodes it for its label.

    Left out, as Compose does: build, pull_policy, scale, deploy.replicas,
    profiles, depends_on and ``x-`` extensions; the result does not depend
    on which services were selected.
    """
    data = {
        k: v
        for k, v in service.items()
        if k not in _EXCLUDED and not k.startswith("x-") and k != "name"
    }
    for key in _ALWAYS:
        data.setdefault(key, None)
    deploy = data.get("deploy")
    if isinstance(deploy, Mapping):
        data["deploy"] = {k: v for k, v in deploy.items() if k != "replicas"}
    text = json.dumps(
        _ordered(data, _SERVICE), separators=(",", ":"), ensure_ascii=False
    )
    for char, escaped in _GO_ESCAPES.items():
        if char in text:
            text = text.replace(char, escaped)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ordered(value: Any, shape: Any) -> Any:
    """``value`` with the keys of its structures in declaration order."""
    if isinstance(shape, _ListOf):
        if isinstance(value, list | tuple):
            return [_ordered(item, shape.item) for item in value]
        return value
    if isinstance(shape, _MapOf):
        if isinstance(value, Mapping):
            return {k: _ordered(value[k], shape.value) for k in sorted(value)}
        return value
    if isinstance(value, Mapping):
        if shape is None:  # a map, or a structure whose order we do not know
            return {k: _ordered(value[k], None) for k in sorted(value)}
        out = {
            name: _ordered(value[name], inner) for name, inner in shape if name in value
        }
        # Fields the tables do not know follow, sorted (x- extensions aside).
        for key in sorted(set(value) - set(out)):
            if not key.startswith("x-"):
                out[key] = _ordered(value[key], None)
        return out
    if isinstance(value, list | tuple):
        return [_ordered(item, None) for item in value]
    return value
