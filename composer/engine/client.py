"""The one boundary to the Docker engine: every SDK call and error goes here.

Docker SDK and ``requests`` exceptions are turned into ``EngineError`` in
``Engine._guard`` and nowhere else.  The API version is fixed so that no
version negotiation request is made.

The list calls observe makes go through a light reader (``reader``) that needs
no third-party module; the Docker SDK is imported and its client made on the
first call that needs it, so a pass that changes nothing never loads it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from composer.engine.labels import is_lease
from composer.engine.reader import Reader, reader_for
from composer.errors import EngineError

if TYPE_CHECKING:
    import docker.errors
    import requests

    from composer.engine.spec import (
        ContainerSpec,
        InjectedFile,
        NetworkSpec,
        VolumeSpec,
    )

log = logging.getLogger(__name__)

API_VERSION = "1.41"
#: Retries of a network removal refused for endpoints still being freed.
_ENDPOINT_RETRIES = 5
DEFAULT_HOST = "unix:///var/run/docker.sock"


@dataclass
class RequestLog:
    """Every HTTP request made to the engine, for counting and tests."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, url: str) -> None:
        """Remember one request."""
        with self.lock:
            self.requests.append((method, url))

    @property
    def mutating(self) -> list[tuple[str, str]]:
        """The requests that may change the engine's state."""
        return [r for r in self.requests if r[0] not in ("GET", "HEAD")]


def _http_timeout() -> int:
    """Seconds to wait for an engine answer: COMPOSE_HTTP_TIMEOUT, else 120."""
    raw = os.environ.get("COMPOSE_HTTP_TIMEOUT", "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return 120


#: The address schemes the Docker SDK connects through.
SCHEMES = ("unix", "tcp", "ssh", "npipe", "http", "https")


def check_scheme(host: str, source: str) -> None:
    """Refuse an engine address whose scheme the SDK cannot connect through."""
    scheme, sep, _ = host.partition("://")
    if sep and scheme.lower() not in SCHEMES:
        raise EngineError(
            f"{source} {host!r}: the scheme {scheme}:// is not supported; "
            "use unix://, tcp://, ssh:// or npipe://"
        )


class Engine:
    """A connection to one Docker engine with typed operations."""

    def __init__(self, host: str | None = None, timeout: int | None = None) -> None:
        from_env = os.environ.get("DOCKER_HOST")
        self.host = host or from_env or DEFAULT_HOST
        check_scheme(self.host, "DOCKER_HOST" if not host and from_env else "engine")
        self.timeout = timeout or _http_timeout()
        self.log = RequestLog()
        self._api: Any = None
        self._api_lock = threading.Lock()
        self.reader: Reader | None = reader_for(
            self.host, API_VERSION, self.timeout, self.log.record
        )
        if self.reader is None:
            self._sdk()  # a host the SDK cannot use fails here, as before

    @property
    def api(self) -> Any:
        """The Docker SDK's low-level client, made (and imported) on first use."""
        return self._sdk()

    def _sdk(self) -> Any:
        with self._api_lock:
            if self._api is None:
                import docker

                with self._guard("connect"):
                    api = docker.APIClient(
                        base_url=self.host, version=API_VERSION, timeout=self.timeout
                    )
                api.hooks["response"].append(self._on_response)
                self._api = api
            return self._api

    def _on_response(self, response: requests.Response, **_: Any) -> None:
        req = response.request
        self.log.record(str(req.method), str(req.path_url))

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            yield
        except EngineError:
            raise
        except Exception as exc:
            converted = self._convert(what, exc)
            if converted is None:
                raise
            raise converted from exc

    def _convert(self, what: str, exc: Exception) -> EngineError | None:
        """The EngineError for an SDK or ``requests`` error, else None."""
        import docker.errors
        import requests

        if isinstance(exc, docker.errors.ImageNotFound):
            return EngineError(f"{what}: image not found locally")
        if isinstance(exc, docker.errors.NotFound):
            return EngineError(f"{what}: not found ({_explain(exc)})")
        if isinstance(exc, docker.errors.APIError):
            return EngineError(f"{what}: {_explain(exc)}")
        if isinstance(exc, (requests.ConnectionError, docker.errors.DockerException)):
            return EngineError(
                f"cannot reach the Docker engine at {self.host}; is it running?"
            )
        if isinstance(exc, requests.RequestException):
            return EngineError(f"{what}: engine request failed: {exc}")
        return None

    # -- observe ---------------------------------------------------------

    def list_containers(self, project: str) -> list[dict[str, Any]]:
        """All containers of ``project`` (running or not), from one request."""
        label = f"com.docker.compose.project={project}"
        found: list[dict[str, Any]]
        if self.reader is not None:
            filters = json.dumps({"label": [label]})
            params = {"all": "1", "filters": filters}
            found = list(self.reader.get("list containers", "/containers/json", params))
        else:
            with self._guard("list containers"):
                found = self.api.containers(all=True, filters={"label": label})
        # The lease container may carry the project label it inherited from
        # an image committed from a project container; it is never one.
        return [
            c
            for c in found
            if not is_lease(project, c.get("Labels") or {}, c.get("Names") or ())
        ]

    def list_networks(self) -> list[dict[str, Any]]:
        """Every network on the engine, from one request."""
        if self.reader is not None:
            return list(self.reader.get("list networks", "/networks") or [])
        with self._guard("list networks"):
            found: list[dict[str, Any]] = self.api.networks()
        return found

    def list_volumes(self) -> list[dict[str, Any]]:
        """Every volume on the engine, from one request."""
        if self.reader is not None:
            found = self.reader.get("list volumes", "/volumes")
        else:
            with self._guard("list volumes"):
                found = self.api.volumes()
        return list((found or {}).get("Volumes") or [])

    def list_images(self) -> list[dict[str, Any]]:
        """Every tagged image on the engine, from one request."""
        if self.reader is not None:
            return list(self.reader.get("list images", "/images/json") or [])
        with self._guard("list images"):
            found: list[dict[str, Any]] = self.api.images()
        return found

    def inspect_container(self, ident: str) -> dict[str, Any]:
        """Full state of one container."""
        with self._guard(f"inspect container {ident}"):
            found: dict[str, Any] = self.api.inspect_container(ident)
        return found

    # -- networks and volumes ---------------------------------------------

    def create_network(self, spec: NetworkSpec) -> None:
        """Create a network."""
        ipam = None
        if spec.ipam_config or spec.ipam_driver:
            pools = [_pool(c) for c in spec.ipam_config]
            import docker.types

            ipam = docker.types.IPAMConfig(
                driver=spec.ipam_driver or "default", pool_configs=pools
            )
        with self._guard(f"create network {spec.name}"):
            self.api.create_network(
                spec.name,
                driver=spec.driver,
                options=dict(spec.options) or None,
                ipam=ipam,
                internal=spec.internal,
                labels=dict(spec.labels),
                enable_ipv6=spec.enable_ipv6,
                attachable=spec.attachable,
                check_duplicate=True,
            )

    def remove_network(self, name: str) -> None:
        """Remove a network.

        The engine frees a removed container's endpoint a moment after the
        removal returns; on a busy engine the network can still report it.
        Such a refusal is retried for about two seconds.
        """
        for attempt in range(_ENDPOINT_RETRIES + 1):
            try:
                with self._guard(f"remove network {name}"):
                    self.api.remove_network(name)
                return
            except EngineError as exc:
                if (
                    "active endpoints" not in exc.message
                    or attempt == _ENDPOINT_RETRIES
                ):
                    raise
                log.debug("network %s still has endpoints; retrying", name)
                time.sleep(0.1 * (attempt + 1))

    def create_volume(self, spec: VolumeSpec) -> None:
        """Create a named volume."""
        with self._guard(f"create volume {spec.name}"):
            self.api.create_volume(
                spec.name,
                driver=spec.driver,
                driver_opts=dict(spec.driver_opts) or None,
                labels=dict(spec.labels),
            )

    def remove_volume(self, name: str) -> None:
        """Remove a named volume."""
        with self._guard(f"remove volume {name}"):
            self.api.remove_volume(name)

    # -- containers ------------------------------------------------------

    def create_container(self, spec: ContainerSpec, name: str) -> str:
        """Create a container (not started); return its ID."""
        with self._guard(f"create container {name}"):
            first = spec.networks[0] if spec.networks else None
            networking = None
            if first is not None:
                networking = self.api.create_networking_config(
                    {first.name: self._endpoint(first.aliases, first.ipv4_address)}
                )
            created = self.api.create_container(
                image=spec.image,
                name=name,
                command=list(spec.command) if spec.command is not None else None,
                entrypoint=(
                    list(spec.entrypoint) if spec.entrypoint is not None else None
                ),
                environment=dict(spec.environment),
                user=spec.user,
                working_dir=spec.working_dir,
                hostname=spec.hostname,
                domainname=spec.domainname,
                tty=spec.tty,
                stdin_open=spec.stdin_open,
                stop_signal=spec.stop_signal,
                stop_timeout=spec.stop_timeout,
                labels=dict(spec.labels),
                ports=spec.exposed_ports() or None,
                healthcheck=_healthcheck(spec),
                host_config=self._host_config(spec),
                networking_config=networking,
            )
            ident = str(created["Id"])
            for net in spec.networks[1:]:
                self.api.connect_container_to_network(
                    ident,
                    net.name,
                    aliases=list(net.aliases) or None,
                    ipv4_address=net.ipv4_address,
                )
            if spec.files:
                self.api.put_archive(ident, "/", _archive(spec.files))
        return ident

    def _host_config(self, spec: ContainerSpec) -> Any:
        import docker.types

        mounts = [
            docker.types.Mount(
                target=m.target,
                source=m.source,
                type=cast(Any, m.type),
                read_only=m.read_only,
                no_copy=m.no_copy,
                tmpfs_size=m.tmpfs_size,
            )
            for m in spec.mounts
        ]
        ulimits = [
            docker.types.Ulimit(name=n, soft=soft, hard=hard)
            for n, soft, hard in spec.ulimits
        ]
        log_config = None
        if spec.log_driver or spec.log_options:
            log_config = docker.types.LogConfig(
                type=spec.log_driver or "json-file", config=dict(spec.log_options)
            )
        restart = None
        if spec.restart and spec.restart != "no":
            policy, _, count = spec.restart.partition(":")
            restart = {"Name": policy, "MaximumRetryCount": int(count or 0)}
        return self.api.create_host_config(
            mounts=mounts or None,
            port_bindings=spec.port_bindings() or None,
            network_mode=spec.network_mode
            or (spec.networks[0].name if spec.networks else None),
            restart_policy=restart,
            init=spec.init,
            privileged=spec.privileged,
            read_only=spec.read_only,
            cap_add=list(spec.cap_add) or None,
            cap_drop=list(spec.cap_drop) or None,
            extra_hosts=list(spec.extra_hosts) or None,
            dns=list(spec.dns) or None,
            dns_search=list(spec.dns_search) or None,
            security_opt=list(spec.security_opt) or None,
            ulimits=ulimits or None,
            sysctls=dict(spec.sysctls) or None,
            mem_limit=spec.mem_limit,
            mem_reservation=spec.mem_reservation,
            nano_cpus=spec.nano_cpus,
            cpu_shares=spec.cpu_shares,
            pids_limit=spec.pids_limit,
            shm_size=spec.shm_size,
            tmpfs=dict(spec.tmpfs) or None,
            log_config=log_config,
            volumes_from=list(spec.volumes_from) or None,
            links=list(spec.links) or None,
            pid_mode=spec.pid,
            ipc_mode=spec.ipc,
            group_add=list(spec.group_add) or None,
            devices=list(spec.devices) or None,
        )

    def _endpoint(self, aliases: tuple[str, ...], ipv4: str | None) -> Any:
        return self.api.create_endpoint_config(
            aliases=list(aliases) or None, ipv4_address=ipv4
        )

    def start(self, ident: str) -> None:
        """Start a container."""
        with self._guard(f"start container {ident}"):
            self.api.start(ident)

    def stop(self, ident: str, timeout: int | None) -> None:
        """Stop a container, killing it after ``timeout`` seconds."""
        with self._guard(f"stop container {ident}"):
            if timeout is None:
                self.api.stop(ident)
            else:
                self.api.stop(ident, timeout=timeout)

    def remove_container(self, ident: str, volumes: bool = False) -> None:
        """Remove a container (forcibly), with its anonymous volumes if asked."""
        with self._guard(f"remove container {ident}"):
            self.api.remove_container(ident, v=volumes, force=True)

    def rename(self, ident: str, name: str) -> None:
        """Rename a container."""
        with self._guard(f"rename container {ident}"):
            self.api.rename(ident, name)

    def wait(self, ident: str, timeout: float | None) -> int:
        """Wait for a container to exit; return its exit code."""
        with self._guard(f"wait for container {ident}"):
            result: Mapping[str, Any] = self.api.wait(ident, timeout=timeout)
        return int(result.get("StatusCode", -1))

    def logs(
        self, ident: str, follow: bool, tail: int | str, timestamps: bool = False
    ) -> Iterator[bytes]:
        """The log stream of one container."""
        with self._guard(f"logs of container {ident}"):
            stream: Iterator[bytes] = self.api.logs(
                ident, stream=True, follow=follow, tail=tail, timestamps=timestamps
            )
            yield from stream

    def ping(self) -> None:
        """Check that the engine answers."""
        if self.reader is not None:
            self.reader.ping()
            return
        with self._guard("ping"):
            self.api.ping()

    def close(self) -> None:
        """Close the connections."""
        if self.reader is not None:
            self.reader.close()
        if self._api is not None:
            self._api.close()


def _explain(exc: docker.errors.APIError) -> str:
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)


def _healthcheck(spec: ContainerSpec) -> dict[str, Any] | None:
    check = spec.healthcheck
    if check is None:
        return None
    out: dict[str, Any] = {"test": list(check.test)}
    for key in ("interval", "timeout", "retries", "start_period"):
        value = getattr(check, key)
        if value is not None:
            out[key] = value
    return out


def _archive(files: tuple[InjectedFile, ...]) -> bytes:
    """A tar of the files, with their parent directories, rooted at ``/``."""
    import tarfile  # only for injected files; observing imports this module

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        made: set[str] = set()
        for f in files:
            parts = f.target.strip("/").split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in made:
                    made.add(folder)
                    info = tarfile.TarInfo(folder)
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
            info = tarfile.TarInfo("/".join(parts))
            info.size, info.mode = len(f.content), f.mode
            tar.addfile(info, io.BytesIO(f.content))
    return buffer.getvalue()


def _pool(config: Mapping[str, str]) -> Any:
    import docker.types

    return docker.types.IPAMPool(
        subnet=config.get("subnet"),
        iprange=config.get("ip_range"),
        gateway=config.get("gateway"),
    )
