"""`kubesched run`: the live scheduler."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import uuid

import click

from kubesched.cli.options import kube_options
from kubesched.framework.config import load_config
from kubesched.framework.profile import default_profile

SHUTDOWN_DEADLINE = 9.5  # seconds after SIGTERM before the process exits regardless


@click.command()
@kube_options
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="A KubeSchedulerConfiguration; each profile serves its schedulerName.")
@click.option("--scheduler-name", default=None,
              help="Without --config: the schedulerName the default profile serves "
                   "(default: default-scheduler).")
@click.option("--kube-api-qps", default=5000.0, show_default=True, type=float,
              help="Requests per second to the API server (0: unlimited).")
@click.option("--kube-api-burst", default=5000, show_default=True, type=int,
              help="Requests allowed in a burst above the QPS.")
@click.option("--parallelism", default=32, show_default=True, type=click.IntRange(min=1),
              help="Bindings posted concurrently.")
@click.option("--metrics-bind-address", default="0.0.0.0:10259", show_default=True,
              help="host:port for /metrics, /healthz and /readyz ('' disables; port 0 picks one).")
@click.option("--leader-elect/--no-leader-elect", default=False, show_default=True,
              help="Take a coordination.k8s.io Lease before scheduling.")
@click.option("--leader-elect-resource-namespace", default="kube-system", show_default=True)
@click.option("--leader-elect-resource-name", default="kubesched", show_default=True)
@click.option("--leader-elect-lease-duration", default=15.0, show_default=True, type=float)
@click.option("--leader-elect-renew-deadline", default=10.0, show_default=True, type=float)
@click.option("--leader-elect-retry-period", default=2.0, show_default=True, type=float)
@click.option("-v", "--verbose", is_flag=True, help="Log every binding failure and move.")
def run(kubeconfig, context, config_path, scheduler_name, kube_api_qps, kube_api_burst, parallelism,
        metrics_bind_address, leader_elect, leader_elect_resource_namespace,
        leader_elect_resource_name, leader_elect_lease_duration, leader_elect_renew_deadline,
        leader_elect_retry_period, verbose) -> None:
    """Schedule and bind, live, every pod whose spec.schedulerName names a profile."""
    from kubesched.kube import connect
    from kubesched.live.leader import LeaderElector
    from kubesched.live.metrics import HealthServer, Metrics
    from kubesched.live.scheduler import Options, Scheduler

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    log = logging.getLogger("kubesched.live")
    if config_path:
        profiles = load_config(config_path)
    else:
        profile = default_profile()
        if scheduler_name:
            from dataclasses import replace
            profile = replace(profile, scheduler_name=scheduler_name)
        profiles = {profile.scheduler_name: profile}
    kube = connect(kubeconfig, context, qps=kube_api_qps, burst=kube_api_burst,
                   connections=parallelism + 16)

    metrics = Metrics()
    identity = f"{socket.gethostname()}_{uuid.uuid4()}"
    leader = None
    if leader_elect:
        try:
            leader = LeaderElector(
                kube, identity, namespace=leader_elect_resource_namespace,
                name=leader_elect_resource_name, lease_duration=leader_elect_lease_duration,
                renew_deadline=leader_elect_renew_deadline, retry_period=leader_elect_retry_period)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    scheduler = Scheduler(kube, profiles, metrics=metrics, leader=leader,
                          options=Options(bind_workers=parallelism))
    server = None
    if metrics_bind_address:
        server = HealthServer(metrics_bind_address, metrics, scheduler.synced)
        log.info("serving /metrics, /healthz and /readyz on %s", server.address)

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
    scheduler.start_informers()  # a standby keeps its cache warm while it waits
    if leader is not None:
        def lost():
            exit_code[0] = 1
            scheduler.stop.set()

        def lead():
            if leader.acquire(scheduler.stop):
                metrics.leader.labels(leader_elect_resource_name).set(1)
                leader.keep_renewing(scheduler.stop, lost).join()

        electing = threading.Thread(target=lead, name="leader-elect", daemon=True)
        electing.start()
    scheduler.run()
    if leader is not None:
        electing.join(timeout=leader_elect_retry_period + 1)  # no renewal races the release
        leader.release()
    if server is not None:
        server.close()
    log.info("stopped; %d pods bound", scheduler.bound)
    sys.exit(exit_code[0])
