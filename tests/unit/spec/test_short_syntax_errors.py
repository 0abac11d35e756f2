"""Short-syntax entries the engine would refuse are refused when loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from composer.errors import ConfigError
from composer.spec import LoadOptions, load_project

BAD = {
    "ports: ['80/xyz']": ("ports[0]", "unknown protocol"),
    "ports: ['80-70:10']": ("ports[0]", "ends before it starts"),
    "ports: ['[::1:80:80']": ("ports[0]", "]:"),
    "ports: ['a.b.c.d:80:80']": ("ports[0]", "not an IP address"),
    "volumes: ['/x:/y:zz']": ("volumes[0]", "unknown option `zz`"),
    "volumes: ['a:/a', ':/data']": ("volumes[1]", "nothing before the colon"),
    "volumes: ['/data:']": ("volumes[0]", "no path in the container"),
    "volumes: ['']": ("volumes[0]", "empty"),
    "restart: sometimes": ("restart", "invalid restart policy"),
    "expose: ['80', 'abc']": ("expose[1]", "invalid exposed port"),
}
GOOD = [
    "ports: ['127.0.0.1:80:80/udp', '[::1]:81:81', '90-91:90-91', '8080:80/SCTP']",
    "volumes: ['data:/data:ro,nocopy', '/h:/c:rw,z,rshared', '/anon']",
    "restart: on-failure:3",
    "expose: [80, '90-91/udp', '8080']",
]


def _load(tmp_path: Path, line: str) -> None:
    text = (
        f"services:\n  web:\n    image: busybox:local\n    {line}\n"
        "volumes: {data: {}, a: {}}\n"
    )
    (tmp_path / "compose.yaml").write_text(text)
    load_project(LoadOptions(cwd=str(tmp_path), environ={"HOME": str(tmp_path)}))


@pytest.mark.parametrize("line", BAD)
def test_refused_at_the_entry(tmp_path: Path, line: str) -> None:
    """The error names the file, line, column and the entry's key path."""
    key, words = BAD[line]
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, line)
    text = err.value.render()
    assert text.startswith(f"{tmp_path / 'compose.yaml'}:4:"), text
    assert f"services.web.{key}" in text and words in text, text


@pytest.mark.parametrize("line", GOOD)
def test_valid_forms_still_load(tmp_path: Path, line: str) -> None:
    """What the engine accepts is accepted."""
    _load(tmp_path, line)
