"""Port entries of a service in the long form Compose prints."""

from __future__ import annotations

import ipaddress
from typing import Any

from composer.errors import ConfigError

#: The protocols the engine publishes; any other is refused before it is asked.
PROTOCOLS = ("tcp", "udp", "sctp")


def _port_text(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError("a port cannot be a boolean")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"`{text}` is not a port number")
    value = int(text)
    if value > 65535:
        raise ValueError(f"{value} is out of range (0-65535)")
    return value


def _span(text: str) -> tuple[int, int]:
    """``"90-91"`` as (90, 91); ``"90"`` as (90, 90)."""
    if "-" in text:
        low, high = text.split("-", 1)
        span = _number(low), _number(high)
        if span[1] < span[0]:
            raise ValueError(f"range {text} ends before it starts")
        return span
    return _number(text), _number(text)


def check_protocol(protocol: str) -> None:
    """Refuse a protocol the engine does not know."""
    if protocol.lower() not in PROTOCOLS:
        raise ValueError(f"unknown protocol `{protocol}` (tcp, udp or sctp)")


def parse_port(item: Any) -> list[dict[str, Any]]:
    """One ports entry (number, string or mapping) as long-form entries."""
    if isinstance(item, dict):
        return [_long(item)]
    if isinstance(item, int) and not isinstance(item, bool):
        return [{"mode": "ingress", "target": item, "protocol": "tcp"}]
    try:
        return _short(_port_text(item))
    except ValueError as exc:
        raise ConfigError.at(
            "C140", f'invalid port "{item}": {exc}', hint="use [HOST:]CONTAINER[/PROTO]"
        ) from exc


def _long(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"mode": item.get("mode") or "ingress"}
    if item.get("host_ip"):
        out["host_ip"] = item["host_ip"]
    if item.get("name") is not None:
        out["name"] = item["name"]
    target = item.get("target")
    if isinstance(target, str) and target.isdigit():
        target = int(target)
    out["target"] = target
    if item.get("published") not in (None, ""):
        out["published"] = _port_text(item["published"])
    out["protocol"] = item.get("protocol") or "tcp"
    if item.get("app_protocol") is not None:
        out["app_protocol"] = item["app_protocol"]
    for key, value in item.items():
        if key.startswith("x-"):
            out[key] = value
    return out


def _short(text: str) -> list[dict[str, Any]]:
    protocol = "tcp"
    if "/" in text:
        text, protocol = text.rsplit("/", 1)
        check_protocol(protocol)
    host_ip = ""
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or text[close + 1 : close + 2] != ":":
            raise ValueError("a bracketed host IP needs `]:` after it")
        host_ip = text[1:close]
        text = text[close + 2 :]
    parts = text.split(":")
    if len(parts) > 3 or (host_ip and len(parts) > 2):
        raise ValueError("too many colons")
    if len(parts) == 3:
        host_ip, published, target = parts
    elif len(parts) == 2:
        published, target = parts
    else:
        published, target = "", parts[0]
    if not target:
        raise ValueError("no container port")
    if host_ip:
        try:
            ipaddress.ip_address(host_ip)
        except ValueError:
            raise ValueError(f"`{host_ip}` is not an IP address") from None
    low, high = _span(target)
    base: dict[str, Any] = {"mode": "ingress"}
    if host_ip:
        base["host_ip"] = host_ip
    if low == high:
        if published:
            _span(published)
        return [_entry(base, low, published, protocol)]
    if not published:
        return [_entry(base, p, "", protocol) for p in range(low, high + 1)]
    plow, phigh = _span(published)
    if phigh - plow != high - low:
        raise ValueError("host and container port ranges differ in size")
    return [
        _entry(base, low + i, str(plow + i), protocol) for i in range(high - low + 1)
    ]


def _entry(
    base: dict[str, Any], target: int, published: str, protocol: str
) -> dict[str, Any]:
    out = {**base, "target": target}
    if published:
        out["published"] = published
    out["protocol"] = protocol
    return out


def port_key(port: dict[str, Any]) -> tuple[Any, ...]:
    """The unique key of a port entry when files are merged."""
    return (
        port.get("host_ip"),
        port.get("target"),
        port.get("published"),
        port.get("protocol"),
    )
