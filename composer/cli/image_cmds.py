"""`composer build`, `pull`, `push` and `images`, and the image flags of `up`."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TYPE_CHECKING, Annotated, Any

import typer

from composer.cli.app import app, global_options
from composer.cli.options import (
    Services,
    ShowValues,
    TableFormat,
    one_of,
)
from composer.cli.pipeline import load
from composer.engine.labels import ONEOFF, SERVICE
from composer.engine.report import Reporter
from composer.errors import ComposerError, ExitCode, UsageError
from composer.graph import Desired, GraphOptions, ServiceNode, build_desired
from composer.plan.images import BuildMode, ImageOptions

if TYPE_CHECKING:
    from composer.engine.client import Engine

BuildFlag = Annotated[
    bool, typer.Option("--build", help="Build images before starting containers.")
]
NoBuildFlag = Annotated[
    bool, typer.Option("--no-build", help="Don't build an image, even if missing.")
]
_PULL_POLICIES = ("always", "missing", "never", "build")
PullFlag = Annotated[
    str | None,
    typer.Option(
        "--pull",
        callback=one_of(*_PULL_POLICIES),
        help="Pull policy for this run: always, missing, never, build.",
    ),
]
RmiFlag = Annotated[
    str | None,
    typer.Option(
        "--rmi",
        callback=one_of("local", "all"),
        help="Also remove images: local (built ones) or all.",
    ),
]


def image_options(build: bool, no_build: bool, pull: str | None) -> ImageOptions:
    """The planner's image options from `up`'s and `diff`'s flags."""
    if build and no_build:
        raise typer.BadParameter("--build and --no-build are incompatible")
    if pull is not None and pull not in _PULL_POLICIES:
        raise typer.BadParameter(f"--pull must be one of {', '.join(_PULL_POLICIES)}")
    mode = BuildMode.ALWAYS if build else BuildMode.NEVER if no_build else None
    return ImageOptions(build=mode or BuildMode.AUTO, pull=pull)


def remove_images(engine: Engine, desired: Desired, mode: str | None) -> None:
    """For ``down --rmi``: remove built (local) or all images of the services."""
    from composer.engine.images import inspect_image, remove_image

    if mode is None:
        return
    if mode not in ("local", "all"):  # checked while parsing; kept for callers
        raise UsageError("--rmi must be local or all")
    chosen = {
        node.image
        for node in desired.services.values()
        if mode == "all" or not node.definition.get("image")
    }
    for image in sorted(chosen):
        if inspect_image(engine, image) is not None:
            remove_image(engine, image)
            sys.stderr.write(f"Image {image}  Removed\n")


@contextmanager
def _reporting(ctx: typer.Context) -> Iterator[Reporter]:
    from composer.cli.progress import make_reporter
    from composer.cli.render import make_console

    reporter = make_reporter(global_options(ctx).progress, make_console(stderr=True))
    scope: AbstractContextManager[Any] = (
        reporter if isinstance(reporter, AbstractContextManager) else nullcontext()
    )
    with scope:
        yield reporter


def _desired(ctx: typer.Context, services: tuple[str, ...]) -> Desired:
    project = load(global_options(ctx), services)
    return build_desired(project, GraphOptions(services, no_deps=True))


def _chosen(desired: Desired, services: tuple[str, ...]) -> list[ServiceNode]:
    names = services or desired.order
    return [desired.services[n] for n in names if n in desired.services]


def _build_args(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values or ():
        key, sep, value = item.partition("=")
        if not key:
            raise UsageError(f"--build-arg expects KEY=VALUE, got {item!r}")
        out[key] = value if sep else ""
    return out


@app.command("build")
def build(
    ctx: typer.Context,
    services: Services = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not use the build cache.")
    ] = False,
    pull: Annotated[
        bool, typer.Option("--pull", help="Always pull a newer base image.")
    ] = False,
    build_arg: Annotated[
        list[str] | None,
        typer.Option("--build-arg", help="KEY=VALUE build argument (repeatable)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No output.")] = False,
    show_values: ShowValues = False,
) -> None:
    """Build (or rebuild) the images of services that have `build:`.

    Unlike Docker Compose, the image is labelled with the digest of its build
    inputs, so `diff` and `up` know when it is stale.
    """
    from composer.engine.client import Engine
    from composer.engine.images import build_image, build_request
    from composer.gitops.masking import masked_reporter, secrets_of

    project = load(global_options(ctx), tuple(services or ()))
    desired = build_desired(project, GraphOptions(tuple(services or ()), no_deps=True))
    args = _build_args(build_arg)
    engine = Engine()
    with _reporting(ctx) as shown:
        reporter = masked_reporter(shown, secrets_of(project), show_values)
        for node in _chosen(desired, tuple(services or ())):
            if "build" not in node.definition:
                continue
            request = build_request(desired, node, no_cache, pull, args)
            image_id = build_image(engine, request, None if quiet else reporter)
            if not quiet:
                sys.stderr.write(f"Service {node.name}  Built  {image_id[:19]}\n")


@app.command("pull")
def pull(
    ctx: typer.Context,
    services: Services = None,
    ignore_pull_failures: Annotated[
        bool,
        typer.Option("--ignore-pull-failures", help="Pull what can be pulled."),
    ] = False,
    ignore_buildable: Annotated[
        bool, typer.Option("--ignore-buildable", help="Skip services with build:.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Pull without printing progress.")
    ] = False,
) -> None:
    """Pull the images of services (a running container is never touched)."""
    from composer.engine.client import Engine
    from composer.engine.images import pull_image

    desired = _desired(ctx, tuple(services or ()))
    engine = Engine()
    failed: list[str] = []
    seen: set[str] = set()
    with _reporting(ctx) as reporter:
        for node in _chosen(desired, tuple(services or ())):
            has_build = "build" in node.definition
            if (
                has_build and (ignore_buildable or not node.definition.get("image"))
            ) or (node.image in seen):
                continue
            seen.add(node.image)
            try:
                pull_image(engine, node.image, None if quiet else reporter, [node.name])
            except ComposerError as exc:
                if not (ignore_pull_failures or has_build):
                    raise
                failed.append(node.name)
                sys.stderr.write(f"warning: {exc.message}\n")
            else:
                if not quiet:
                    sys.stderr.write(f"Service {node.name}  Pulled\n")
    if failed and not ignore_pull_failures:
        raise typer.Exit(ExitCode.FAILED)


@app.command("push")
def push(
    ctx: typer.Context,
    services: Services = None,
    ignore_push_failures: Annotated[
        bool, typer.Option("--ignore-push-failures", help="Push what can be pushed.")
    ] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress.")] = False,
) -> None:
    """Push the images of services that name one with `image:`."""
    from composer.engine.client import Engine
    from composer.engine.images import push_image

    desired = _desired(ctx, tuple(services or ()))
    engine = Engine()
    seen: set[str] = set()
    with _reporting(ctx) as reporter:
        for node in _chosen(desired, tuple(services or ())):
            if not node.definition.get("image") or node.image in seen:
                continue
            seen.add(node.image)
            try:
                push_image(engine, node.image, None if quiet else reporter)
            except ComposerError as exc:
                if not ignore_push_failures:
                    raise
                sys.stderr.write(f"warning: {exc.message}\n")
            else:
                if not quiet:
                    sys.stderr.write(f"Service {node.name}  Pushed\n")


@app.command("images")
def images(
    ctx: typer.Context,
    services: Services = None,
    output: TableFormat = "table",
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only IDs.")] = False,
) -> None:
    """List the images used by the project's containers."""
    from composer.engine.client import Engine
    from composer.engine.images import split_reference

    project = load(global_options(ctx), tuple(services or ()))
    engine = Engine()
    by_id = {str(i["Id"]): i for i in engine.list_images()}
    rows: list[dict[str, Any]] = []
    for c in engine.list_containers(project.name):
        labels = c.get("Labels") or {}
        if labels.get(ONEOFF) == "True":
            continue
        if services and labels.get(SERVICE) not in services:
            continue
        image = by_id.get(str(c.get("ImageID")), {})
        repo, tag = split_reference(str(c.get("Image") or ""))
        rows.append(
            {
                "ContainerName": str((c.get("Names") or ["/?"])[0]).lstrip("/"),
                "Repository": repo,
                "Tag": tag or "latest",
                "ID": str(c.get("ImageID") or ""),
                "Size": int(image.get("Size") or 0),
            }
        )
    rows.sort(key=lambda r: str(r["ContainerName"]))
    if quiet:
        for ident in dict.fromkeys(r["ID"] for r in rows):
            sys.stdout.write(f"{ident}\n")
        return
    if output == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = [["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"]]
    for r in rows:
        short = str(r["ID"]).removeprefix("sha256:")[:12]
        size = _size(int(r["Size"]))
        table.append([r["ContainerName"], r["Repository"], r["Tag"], short, size])
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
        sys.stdout.write("   ".join(cells).rstrip() + "\n")


def _size(value: int) -> str:
    size = float(value)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.3g}{unit}"
        size /= 1000
    return f"{size:.3g}GB"
