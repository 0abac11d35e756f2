"""Unit conversions and resource fields of a service, as Compose prints them."""

from __future__ import annotations

import contextlib
from typing import Any

from composer.spec.units import normalize_bytes, normalize_duration

_DURATIONS = ("interval", "timeout", "start_period", "start_interval")
_SERVICE_BYTES = ("mem_limit", "mem_reservation", "memswap_limit", "shm_size")
_BLKIO_LISTS = (
    "device_read_bps",
    "device_read_iops",
    "device_write_bps",
    "device_write_iops",
    "weight_device",
)


def convert_units(out: dict[str, Any]) -> None:
    """Durations in Go notation and sizes in bytes, in place."""
    health = out.get("healthcheck")
    if isinstance(health, dict):
        out["healthcheck"] = {
            k: normalize_duration(v) if k in _DURATIONS else v
            for k, v in health.items()
        }
    if "stop_grace_period" in out:
        out["stop_grace_period"] = normalize_duration(out["stop_grace_period"])
    for key in _SERVICE_BYTES:
        if key in out:
            out[key] = normalize_bytes(out[key])
    if "cpus" in out and isinstance(out["cpus"], str | int):
        out["cpus"] = float(out["cpus"])
    vols = out.get("volumes")
    if isinstance(vols, list):
        for i, vol in enumerate(vols):
            tmpfs = vol.get("tmpfs") if isinstance(vol, dict) else None
            if isinstance(tmpfs, dict) and "size" in tmpfs:
                vols[i] = {
                    **vol,
                    "tmpfs": {**tmpfs, "size": normalize_bytes(tmpfs["size"])},
                }


def finish_deploy(out: dict[str, Any]) -> None:
    """deploy with replicas from scale, resources and placement, in place."""
    deploy = out.get("deploy")
    scale = out.get("scale")
    if deploy is None:
        return
    deploy = dict(deploy)
    if scale is not None and "replicas" not in deploy:
        deploy["replicas"] = scale
    resources = dict(deploy.get("resources") or {})
    for kind in ("limits", "reservations"):
        spec = resources.get(kind)
        if isinstance(spec, dict):
            spec = dict(spec)
            if "memory" in spec:
                spec["memory"] = normalize_bytes(spec["memory"])
            if isinstance(spec.get("devices"), list):
                spec["devices"] = [_device_request(d) for d in spec["devices"]]
            if isinstance(spec.get("cpus"), str | int):
                with contextlib.suppress(ValueError):
                    spec["cpus"] = float(spec["cpus"])
            resources[kind] = spec
    deploy["resources"] = resources
    for key in ("restart_policy", "update_config", "rollback_config"):
        policy = deploy.get(key)
        if isinstance(policy, dict):
            deploy[key] = {
                k: normalize_duration(v) if k in ("delay", "window", "monitor") else v
                for k, v in policy.items()
            }
    deploy.setdefault("placement", {})
    out["deploy"] = deploy


def finish_limits(out: dict[str, Any]) -> None:
    """gpus, blkio_config and mem_swappiness in the form Compose prints."""
    gpus = out.get("gpus")
    if gpus == "all":
        out["gpus"] = [{"count": -1}]
    elif isinstance(gpus, list):
        out["gpus"] = [_device_request(g) for g in gpus]
    if "mem_swappiness" in out and isinstance(out["mem_swappiness"], int):
        out["mem_swappiness"] = str(out["mem_swappiness"])
    blkio = out.get("blkio_config")
    if isinstance(blkio, dict):
        blkio = dict(blkio)
        for key in _BLKIO_LISTS:
            if isinstance(blkio.get(key), list):
                blkio[key] = [_blkio_entry(key, e) for e in blkio[key]]
        out["blkio_config"] = blkio


def _blkio_entry(key: str, entry: Any) -> Any:
    """Compose prints throttle entries with capitalised field names."""
    if not isinstance(entry, dict):
        return entry
    out: dict[str, Any] = {}
    for field, value in entry.items():
        if field == "rate" and key.endswith("_bps"):
            value = normalize_bytes(value)
        out[field.capitalize()] = value
    return out


def _device_request(device: Any) -> Any:
    """A GPU/device reservation; no count and no ids means all (-1)."""
    if not isinstance(device, dict):
        return device
    out = dict(device)
    if out.get("count") == "all" or ("count" not in out and not out.get("device_ids")):
        out["count"] = -1
    return out
