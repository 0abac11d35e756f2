"""Volume entries of a service in the long form Compose prints."""

from __future__ import annotations

from typing import Any

from composer.errors import ConfigError

_PROPAGATION = {"shared", "rshared", "slave", "rslave", "private", "rprivate"}
#: Every option the short syntax may carry after the second colon.
_OPTIONS = {
    "rw", "ro", "z", "Z", "nocopy", "copy", "consistent", "cached", "delegated",
    *_PROPAGATION,
}  # fmt: skip


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
    if not text:
        raise _invalid(text, "empty")
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0], "volume": {}}
    if len(parts) > 3:
        raise _invalid(text, "too many colons")
    source, target = parts[0], parts[1]
    if not source:
        raise _invalid(text, "nothing before the colon (a volume name or a path)")
    if not target:
        raise _invalid(text, "no path in the container after the colon")
    options = parts[2].split(",") if len(parts) == 3 else []
    unknown = [o for o in options if o not in _OPTIONS]
    if unknown:
        raise _invalid(text, f"unknown option `{unknown[0]}`")
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


def _invalid(text: str, why: str) -> ConfigError:
    return ConfigError.at(
        "C141",
        f'invalid volume "{text}": {why}',
        hint="use [SOURCE:]TARGET[:OPTIONS], options like ro or rw",
    )


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
