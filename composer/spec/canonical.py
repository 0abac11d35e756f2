"""Short syntax to long syntax for one service, before files are merged.

Merging works on the long forms, so that ``"8080:80"`` and ``{target: 80,
published: 8080}`` are recognised as the same port.  Paths stay as written;
:mod:`composer.spec.normalize` makes them absolute after the merge.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from composer.errors import ConfigError
from composer.spec.ports import PROTOCOLS, parse_port
from composer.spec.source import KeyPath
from composer.spec.volumes import parse_volume

T = TypeVar("T")

_EXPOSE = re.compile(r"^\d{1,5}(-\d{1,5})?(/(" + "|".join(PROTOCOLS) + r"))?$", re.I)
_RESTART = re.compile(r"^(no|always|unless-stopped|on-failure(:\d+)?)$")


class ItemError(ConfigError):
    """A bad entry of a service; ``path`` leads to it from the service."""

    def __init__(self, cause: ConfigError, path: KeyPath) -> None:
        super().__init__(cause.message, cause.diagnostics)
        self.path = path


_LIST_OR_STRING = ("dns", "dns_search", "dns_opt", "tmpfs", "env_file")
_MAPPINGS = ("labels", "annotations", "sysctls")


def scalar_text(value: Any) -> str | None:
    """A YAML scalar as the string Compose stores (booleans in lower case)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_mapping(
    value: Any, sep: str = "=", empty: str | None = None
) -> dict[str, str | None]:
    """``[K=V, K]`` or ``{K: V}`` as a mapping of strings (``empty`` when unset)."""
    if isinstance(value, dict):
        return {str(k): scalar_text(v) for k, v in value.items()}
    out: dict[str, str | None] = {}
    for item in value or []:
        text = str(item)
        if sep in text:
            key, val = text.split(sep, 1)
            out[key] = val
        else:
            out[text] = empty
    return out


def shell_words(value: Any) -> Any:
    """A command given as one string, split into words as Compose splits it.

    Quotes group words; a backslash outside single quotes takes the next
    character literally, inside double quotes too.
    """
    if not isinstance(value, str):
        return value
    words: list[str] = []
    current: list[str] = []
    in_word = False
    quote = ""
    escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
            in_word = True
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            if ch == quote:
                quote = ""
            else:
                current.append(ch)
        elif ch in "'\"":
            quote = ch
            in_word = True
        elif ch.isspace():
            if in_word:
                words.append("".join(current))
                current = []
                in_word = False
        else:
            current.append(ch)
            in_word = True
    if in_word:
        words.append("".join(current))
    return words


def canonical_service(svc: dict[str, Any]) -> dict[str, Any]:
    """Return ``svc`` with every short syntax replaced by its long form."""
    out = dict(svc)
    if isinstance(out.get("build"), str):
        out["build"] = {"context": out["build"]}
    build = out.get("build")
    if isinstance(build, dict):
        build = dict(build)
        for key in ("args", "labels"):
            if key in build and build[key] is not None:
                build[key] = to_mapping(build[key])
        if "extra_hosts" in build:
            build["extra_hosts"] = _extra_hosts(build["extra_hosts"])
        out["build"] = build
    for key in ("command", "entrypoint"):
        if key in out:
            out[key] = shell_words(out[key])
    if "environment" in out:
        out["environment"] = to_mapping(out["environment"])
    for key in _MAPPINGS:
        if key in out and out[key] is not None:
            out[key] = to_mapping(out[key], empty="")
    if isinstance(out.get("label_file"), str):
        out["label_file"] = [out["label_file"]]
    for key in _LIST_OR_STRING:
        if isinstance(out.get(key), str | dict):
            out[key] = [out[key]]
    if "env_file" in out:
        out["env_file"] = [_env_file(e) for e in out["env_file"] or []]
    if "ports" in out:
        ports = _each("ports", out["ports"] or [], parse_port)
        out["ports"] = [p for entries in ports for p in entries]
    if "expose" in out:
        out["expose"] = _each("expose", out["expose"] or [], _expose)
    if "volumes" in out:
        out["volumes"] = _each("volumes", out["volumes"] or [], parse_volume)
    if isinstance(out.get("restart"), str) and not _RESTART.match(out["restart"]):
        raise ItemError(
            ConfigError.at(
                "C142",
                f'invalid restart policy "{out["restart"]}"',
                hint="use no, always, on-failure[:N] or unless-stopped",
            ),
            ("restart",),
        )
    if "depends_on" in out:
        out["depends_on"] = _depends_on(out["depends_on"])
    if isinstance(out.get("networks"), list):
        out["networks"] = {str(n): None for n in out["networks"]}
    for key in ("secrets", "configs"):
        if key in out:
            out[key] = [
                {"source": i} if isinstance(i, str) else i for i in out[key] or []
            ]
    if "extra_hosts" in out:
        out["extra_hosts"] = _extra_hosts(out["extra_hosts"])
    if "devices" in out:
        out["devices"] = [_device(d) for d in out["devices"] or []]
    for hook in ("post_start", "pre_stop"):
        if isinstance(out.get(hook), list):
            out[hook] = [
                {**h, "command": shell_words(h["command"])}
                if isinstance(h, dict) and "command" in h
                else h
                for h in out[hook]
            ]
    healthcheck = out.get("healthcheck")
    if isinstance(healthcheck, dict) and isinstance(healthcheck.get("test"), str):
        out["healthcheck"] = {
            **healthcheck,
            "test": ["CMD-SHELL", healthcheck["test"]],
        }
    return out


def _each(key: str, items: list[Any], parse: Callable[[Any], T]) -> list[T]:
    """Parse every entry of a list; an error leads to the entry."""
    out = []
    for i, item in enumerate(items):
        try:
            out.append(parse(item))
        except ConfigError as exc:
            raise ItemError(exc, (key, i)) from exc
    return out


def _expose(item: Any) -> str | None:
    """One ``expose`` entry: a port or range, optionally with a protocol."""
    text = scalar_text(item)
    if text is not None and not _EXPOSE.match(text):
        raise ConfigError.at(
            "C143",
            f'invalid exposed port "{text}"',
            hint="use PORT[-PORT][/PROTOCOL], protocol tcp, udp or sctp",
        )
    return text


def _env_file(entry: Any) -> dict[str, Any]:
    if isinstance(entry, dict):
        return {"required": True, **entry}
    return {"path": str(entry), "required": True}


def _depends_on(value: Any) -> dict[str, dict[str, Any]]:
    if isinstance(value, dict):
        out: dict[str, dict[str, Any]] = {}
        for name, spec in value.items():
            entry = dict(spec or {})
            entry.setdefault("condition", "service_started")
            entry.setdefault("required", True)
            out[str(name)] = entry
        return out
    return {
        str(name): {"condition": "service_started", "required": True}
        for name in value or []
    }


def _extra_hosts(value: Any) -> list[str]:
    """Extra hosts as ``host=ip`` strings, the form Compose prints."""
    if isinstance(value, dict):
        out: list[str] = []
        for host, ips in value.items():
            for ip in ips if isinstance(ips, list) else [ips]:
                out.append(f"{host}={ip}")
        return out
    result: list[str] = []
    for item in value or []:
        text = str(item)
        if "=" not in text and ":" in text:
            host, ip = text.split(":", 1)
            text = f"{host}={ip}"
        result.append(text)
    return result


def _device(entry: Any) -> Any:
    """A device mapping ``src[:dst[:perms]]`` in long form."""
    if not isinstance(entry, str):
        return entry
    parts = entry.split(":")
    if len(parts) > 3:
        return entry
    source = parts[0]
    target = parts[1] if len(parts) > 1 and parts[1] else source
    permissions = parts[2] if len(parts) > 2 else "rwm"
    return {"source": source, "target": target, "permissions": permissions}
