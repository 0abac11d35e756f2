"""Manifests as text: one YAML stream, or one file per object in a directory."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Indents list items under their key, as kubectl prints them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        """Never use the indentless style for block sequences."""
        super().increase_indent(flow, False)


def to_yaml(manifest: dict[str, Any]) -> str:
    """One manifest as a YAML document, keys in the order they were built."""
    return yaml.dump(
        manifest, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000
    )


def to_stream(manifests: Iterable[dict[str, Any]]) -> str:
    """Every manifest in one multi-document YAML stream."""
    return "".join(f"---\n{to_yaml(m)}" for m in manifests)


def file_name(manifest: dict[str, Any]) -> str:
    """The file a manifest is written to: ``<kind>-<name>.yaml``."""
    return f"{manifest['kind'].lower()}-{manifest['metadata']['name']}.yaml"


def write_directory(manifests: Iterable[dict[str, Any]], directory: Path) -> list[Path]:
    """Write one file per manifest into ``directory``; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for manifest in manifests:
        path = directory / file_name(manifest)
        path.write_text(to_yaml(manifest), encoding="utf-8")
        written.append(path)
    return written
