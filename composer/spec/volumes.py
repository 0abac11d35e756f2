"""Volume entries of a service in the long form Compose prints."""

from __future__ import annotations

from typing import Any

from composer.errors import ConfigError

_PROPAGATION = {"shared", "rshared", "slave", "rslave", "private", "rprivate"}


def is_path(source: str) -> bool:
    """Whether a short-syntax source names a host path rather than a volume."""
    return source.startswith(("/", ".", "~", "\\")) or (
        len(source) > 1 and source[1] == ":" and source[0].isalpha()
    )


def parse_volume(item: Any) -> dict[str, Any]:
    """One volumes entry (string or mapping) as a long-form mapping."""
    if isinstance(item, dict):
        return dict(item)
    text = str(item)
    parts = _split(text)
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0], "volume": {}}
    if len(parts) > 3:
        raise ConfigError.at("C141", f'invalid volume "{text}": too many colons')
    source, target = parts[0], parts[1]
    options = parts[2].split(",") if len(parts) == 3 else []
    out: dict[str, Any]
    if is_path(source):
        out = {"type": "bind", "source": source, "target": target}
        bind: dict[str, Any] = {}
        for opt in options:
            if opt in ("z", "Z"):
                bind["selinux"] = opt
            elif opt in _PROPAGATION:
                bind["propagation"] = opt
        bind["create_host_path"] = True
        if "ro" in options:
            out["read_only"] = True
        out["bind"] = bind
        return out
    out = {"type": "volume", "source": source, "target": target}
    if "ro" in options:
        out["read_only"] = True
    volume: dict[str, Any] = {}
    if "nocopy" in options:
        volume["nocopy"] = True
    out["volume"] = volume
    return out


def _split(text: str) -> list[str]:
    """Split on colons, keeping a Windows drive letter with its path."""
    parts = text.split(":")
    if (
        len(parts) > 2
        and len(parts[0]) == 1
        and parts[0].isalpha()
        and parts[1].startswith(("\\", "/"))
    ):
        parts = [parts[0] + ":" + parts[1], *parts[2:]]
    return parts
