"""`kubesched run`: the live scheduler.

With `--config`, the whole KubeSchedulerConfiguration is honoured (framework.component_config);
a flag given on the command line wins over the file, as kube-scheduler's leader-election
flags do."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import uuid
from dataclasses import replace

import click
from click.core import ParameterSource

from kubesched.cli.options import bind_address, kube_options
from kubesched.framework.component_config import ComponentConfig
from kubesched.framework.config import load_scheduler_config
from kubesched.framework.profile import default_profile
from kubesched.logs import FORMATS, configure as configure_logs
from kubesched.serving.server import ALWAYS_ALLOWED

SHUTDOWN_DEADLINE = 9.5  # seconds after SIGTERM before the process exits regardless


class Verbosity(click.ParamType):
    """klog's -v level; `-v=4` as well as `-v 4`, `-v4` and `--v=4`."""
    name = "N"

    def convert(self, value, param, ctx):
        text = str(value).lstrip("=")
        if not text.isdigit():
            self.fail(f"{value!r} is not a verbosity level (0, 1, 2, ...)", param, ctx)
        return int(text)


@click.command()
@kube_options
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="A KubeSchedulerConfiguration; each profile serves its schedulerName.")
@click.option("--scheduler-name", default=None,
              help="Without --config: the schedulerName the default profile serves "
                   "(default: default-scheduler).")
@click.option("--kube-api-qps", default=5000.0, show_default=True, type=float,
              help="Requests per second to the API server (0: unlimited); "
                   "clientConnection.qps.")
@click.option("--kube-api-burst", default=5000, show_default=True, type=int,
              help="Requests allowed in a burst above the QPS; clientConnection.burst.")
@click.option("--parallelism", default=32, show_default=True, type=click.IntRange(min=1),
              help="Bindings posted concurrently (decisions are made one at a time in the "
                   "core); the configuration's parallelism.")
@click.option("--secure-port", default=10259, show_default=True, type=click.IntRange(0, 65535),
              help="HTTPS port for /metrics (authenticated and authorized by the API server), "
                   "/healthz, /livez and /readyz (0: no HTTPS serving).")
@click.option("--bind-address", default="0.0.0.0", show_default=True,
              help="The address --secure-port listens on.")
@click.option("--tls-cert-file", type=click.Path(dir_okay=False), default=None,
              help="The serving certificate (default: a self-signed one made at start).")
@click.option("--tls-private-key-file", type=click.Path(dir_okay=False), default=None,
              help="The serving certificate's key.")
@click.option("--authentication-kubeconfig", type=click.Path(dir_okay=False), default=None,
              help="The kubeconfig for TokenReviews (default: the scheduler's own client).")
@click.option("--authorization-kubeconfig", type=click.Path(dir_okay=False), default=None,
              help="The kubeconfig for SubjectAccessReviews (default: the scheduler's own client).")
@click.option("--authorization-always-allow-paths", default=",".join(ALWAYS_ALLOWED), show_default=True,
              help="Paths served without authentication or authorization.")
@click.option("--metrics-bind-address", default="", callback=bind_address,
              help="host:port to serve the same endpoints on plain HTTP, unauthenticated "
                   "(default: none; port 0 picks one).")
@click.option("--leader-elect/--no-leader-elect", default=False, show_default=True,
              help="Take a coordination.k8s.io Lease before scheduling; "
                   "leaderElection.leaderElect.")
@click.option("--leader-elect-resource-namespace", default="kube-system", show_default=True)
@click.option("--leader-elect-resource-name", default="kubesched", show_default=True)
@click.option("--leader-elect-lease-duration", default=15.0, show_default=True, type=float)
@click.option("--leader-elect-renew-deadline", default=10.0, show_default=True, type=float)
@click.option("--leader-elect-retry-period", default=2.0, show_default=True, type=float)
@click.option("-v", "--v", "verbosity", type=Verbosity(), default=0, show_default=True,
              help="Log verbosity, as klog's -v: 2 logs every binding and failed attempt, "
                   "6 adds the libraries' logs (HTTP connections).")
@click.option("--logging-format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="klog's text lines or component-base's JSON lines.")
@click.pass_context
def run(ctx, kubeconfig, context, config_path, scheduler_name, kube_api_qps, kube_api_burst,
        parallelism, secure_port, bind_address, tls_cert_file, tls_private_key_file,
        authentication_kubeconfig, authorization_kubeconfig, authorization_always_allow_paths, metrics_bind_address, leader_elect, leader_elect_resource_namespace,
        leader_elect_resource_name, leader_elect_lease_duration, leader_elect_renew_deadline,
        leader_elect_retry_period, verbosity, logging_format) -> None:
    """Schedule and bind, live, every pod whose spec.schedulerName names a profile."""
    from kubesched.extenders.client import HttpExtender
    from kubesched.framework.extender_config import ignoring_managed_resources
    from kubesched.kube import connect
    from kubesched.live.leader import LeaderElector
    from kubesched.live.metrics import Metrics
    from kubesched.live.scheduler import Options, Scheduler
    from kubesched.serving.delegated import Delegated
    from kubesched.serving.server import BoundedServer, Endpoints
    from kubesched.serving.tls import server_context

    configure_logs(verbosity, logging_format)
    log = logging.getLogger("kubesched.live")
    if config_path:
        profiles, component = load_scheduler_config(config_path)
    else:
        profile = default_profile()
        if scheduler_name:
            profile = replace(profile, scheduler_name=scheduler_name)
        profiles, component = {profile.scheduler_name: profile}, ComponentConfig()

    def setting(flag: str, path: str, from_file):
        """The flag when given on the command line, else the file's value when it has one,
        else the flag's default."""
        if ctx.get_parameter_source(flag) == ParameterSource.COMMANDLINE or path not in component.given:
            return ctx.params[flag]
        return from_file

    profiles = ignoring_managed_resources(profiles, component.extenders)
    client = component.client_connection
    election = component.leader_election
    kubeconfig = kubeconfig or client.kubeconfig
    parallelism = setting("parallelism", "parallelism", component.parallelism)
    kube = connect(kubeconfig, context, qps=setting("kube_api_qps", "clientConnection.qps", client.qps),
                   burst=setting("kube_api_burst", "clientConnection.burst", client.burst),
                   connections=parallelism + 16)
    leader_elect = setting("leader_elect", "leaderElection.leaderElect", election.leader_elect)
    lease_name = setting("leader_elect_resource_name", "leaderElection.resourceName",
                         election.resource_name)
    retry_period = setting("leader_elect_retry_period", "leaderElection.retryPeriod",
                           election.retry_period)

    metrics = Metrics()
    identity = f"{socket.gethostname()}_{uuid.uuid4()}"
    leader = None
    if leader_elect:
        try:
            leader = LeaderElector(
                kube, identity,
                namespace=setting("leader_elect_resource_namespace",
                                  "leaderElection.resourceNamespace", election.resource_namespace),
                name=lease_name,
                lease_duration=setting("leader_elect_lease_duration",
                                       "leaderElection.leaseDuration", election.lease_duration),
                renew_deadline=setting("leader_elect_renew_deadline",
                                       "leaderElection.renewDeadline", election.renew_deadline),
                retry_period=retry_period)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    scheduler = Scheduler(kube, profiles, metrics=metrics, leader=leader,
                          options=Options(bind_workers=parallelism,
                                          extenders=tuple(HttpExtender(e) for e in component.extenders),
                                          pod_initial_backoff=component.pod_initial_backoff,
                                          pod_max_backoff=component.pod_max_backoff))
    endpoints = Endpoints(metrics.render, scheduler.synced)
    servers = []
    if secure_port:
        always = tuple(p.strip() for p in authorization_always_allow_paths.split(",") if p.strip())
        host = f"[{bind_address}]" if ":" in bind_address else bind_address
        delegated = Delegated(
            connect(authentication_kubeconfig, connections=4) if authentication_kubeconfig else kube,
            connect(authorization_kubeconfig, connections=4) if authorization_kubeconfig else kube)
        try:
            servers.append(BoundedServer(f"{host}:{secure_port}", endpoints,
                                         tls=server_context(tls_cert_file, tls_private_key_file),
                                         delegated=delegated, always_allowed=always))
        except OSError as error:
            raise click.UsageError(f"--secure-port {secure_port}: {error.strerror}") from None
        log.info("Serving securely on %s", servers[-1].address)
    if metrics_bind_address:
        try:
            servers.append(BoundedServer(metrics_bind_address, endpoints))
        except (OSError, ValueError) as error:
            raise click.UsageError(f"--metrics-bind-address {metrics_bind_address}: {error}") from None
        log.info("Serving insecurely on %s", servers[-1].address)

    exit_code = [0]

    def terminate(signum, _frame):
        log.info("signal %d: finishing the bindings in flight, then exiting", signum)
        scheduler.stop.set()
        deadline = threading.Timer(SHUTDOWN_DEADLINE, lambda: os._exit(exit_code[0] or 1))
        deadline.daemon = True
        deadline.start()

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)
    log.info("kubesched %s serving schedulerName %s", identity, ", ".join(profiles))
    # A standby keeps its cache warm while it waits, unless delayCacheUntilActive.
    if leader is None or not component.delay_cache_until_active:
        scheduler.start_informers()
    if leader is not None:
        metrics.leader.labels(lease_name).set(0)  # a standby says so too

        def lost():
            metrics.leader.labels(lease_name).set(0)
            exit_code[0] = 1
            scheduler.stop.set()

        def lead():
            if leader.acquire(scheduler.stop):
                metrics.leader.labels(lease_name).set(1)
                leader.keep_renewing(scheduler.stop, lost).join()

        electing = threading.Thread(target=lead, name="leader-elect", daemon=True)
        electing.start()
        if component.delay_cache_until_active:
            while not leader.is_leader() and not scheduler.stop.wait(0.1):
                pass
    scheduler.run()
    if leader is not None:
        electing.join(timeout=retry_period + 1)  # no renewal races the release
        leader.release()
    for server in servers:
        server.close()
    log.info("stopped; %d pods bound", scheduler.bound)
    sys.exit(exit_code[0])
