"""The KubeSchedulerConfiguration beyond profiles: honoured fields read and validated as
upstream validates them, fields kubesched cannot honour refused by name."""

from __future__ import annotations

import json

import pytest

from kubesched.errors import InputError
from kubesched.framework.component_config import parse_duration
from kubesched.framework.config import load_config, load_scheduler_config

pytestmark = pytest.mark.unit


def write(tmp_path, **fields):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"apiVersion": "kubescheduler.config.k8s.io/v1",
                                "kind": "KubeSchedulerConfiguration", **fields}))
    return str(path)


def test_durations_as_go_writes_them():
    assert parse_duration("15s") == 15.0
    assert parse_duration("1m30s") == 90.0
    assert parse_duration("250ms") == 0.25
    assert parse_duration("1.5h") == 5400.0
    assert parse_duration("0") == 0.0
    for bad in ("15", "s", "", "1x", "1s2", 15):
        assert parse_duration(bad) is None


def test_every_honoured_field_is_read(tmp_path):
    _, config = load_scheduler_config(write(
        tmp_path, parallelism=8, podInitialBackoffSeconds=2, podMaxBackoffSeconds=30,
        delayCacheUntilActive=True,
        leaderElection={"leaderElect": True, "leaseDuration": "30s", "renewDeadline": "20s",
                        "retryPeriod": "5s", "resourceLock": "leases", "resourceName": "mine",
                        "resourceNamespace": "sched"},
        clientConnection={"kubeconfig": "/k", "qps": 70, "burst": 90, "contentType": "application/json"}))
    election, client = config.leader_election, config.client_connection
    assert (election.leader_elect, election.lease_duration, election.renew_deadline,
            election.retry_period, election.resource_name, election.resource_namespace) == (
        True, 30.0, 20.0, 5.0, "mine", "sched")
    assert (client.kubeconfig, client.qps, client.burst) == ("/k", 70.0, 90)
    assert (config.parallelism, config.pod_initial_backoff, config.pod_max_backoff,
            config.delay_cache_until_active) == (8, 2.0, 30.0, True)
    assert {"parallelism", "clientConnection.qps", "leaderElection.leaderElect"} <= config.given


def test_defaults_are_kubesched_s_own(tmp_path):
    _, config = load_scheduler_config(write(tmp_path))
    assert not config.leader_election.leader_elect
    assert config.leader_election.resource_name == "kubesched"
    assert config.given == frozenset()


@pytest.mark.parametrize("fields, where, problem", [
    ({"parallelism": 0}, "parallelism", "should be an integer value greater than zero"),
    ({"podInitialBackoffSeconds": 0}, "podInitialBackoffSeconds", "must be greater than 0"),
    ({"podInitialBackoffSeconds": 5, "podMaxBackoffSeconds": 4}, "podMaxBackoffSeconds",
     "must be greater than or equal to PodInitialBackoffSeconds"),
    ({"leaderElection": {"leaderElect": True, "leaseDuration": "10s", "renewDeadline": "10s"}},
     "leaderElection.leaseDuration", "must be greater than `RenewDeadline`"),
    ({"leaderElection": {"leaderElect": True, "renewDeadline": "2s", "retryPeriod": "2s",
                         "leaseDuration": "15s"}},
     "leaderElection.renewDeadline", "retryPeriod*JitterFactor"),
    ({"leaderElection": {"leaderElect": True, "retryPeriod": "0s"}},
     "leaderElection.retryPeriod", "must be greater than zero"),
    ({"leaderElection": {"leaseDuration": "soon"}}, "leaderElection.leaseDuration", "expected a duration"),
    ({"leaderElection": {"resourceLock": "endpointsleases"}}, "leaderElection.resourceLock",
     'resourceLock value must be "leases"'),
    ({"leaderElection": {"leaderElect": "yes"}}, "leaderElection.leaderElect", "expected true or false"),
    ({"clientConnection": {"burst": -1}}, "clientConnection.burst", "must be non-negative"),
    ({"clientConnection": {"contentType": "application/vnd.kubernetes.protobuf"}},
     "clientConnection.contentType", "application/json only"),
    ({"clientConnection": {"timeout": "1s"}}, "clientConnection.timeout", "unknown field"),
    ({"extenders": [{"urlPrefix": "http://x", "prioritizeVerb": "p"}]}, "extenders[0].weight",
     "must have a positive weight applied to it"),
    ({"extenders": [{"urlPrefix": "http://x", "bindVerb": "b"}, {"urlPrefix": "http://y", "bindVerb": "b"}]},
     "extenders", "only one extender can implement bind"),
    ({"extenders": [{"urlPrefix": "http://x", "managedResources": [{"name": "example.com/gpu"},
                                                                  {"name": "example.com/gpu"}]}]},
     "extenders[0].managedResources[1].name", "duplicate extender managed resource name"),
    ({"extenders": [{"urlPrefix": "http://x", "preemptVerb": 3}]}, "extenders[0].preemptVerb",
     "expected a string"),
    ({"extenders": [{"urlPrefix": "http://x", "httpTimeout": "soon"}]}, "extenders[0].httpTimeout",
     "expected a duration"),
    ({"enableProfiling": True}, "enableProfiling", "no /debug/pprof"),
    ({"metricsBindAddress": "0.0.0.0:10251"}, "metricsBindAddress", "not a field of"),
])
def test_invalid_or_unsupported_fields_are_named(tmp_path, fields, where, problem):
    path = write(tmp_path, **fields)
    with pytest.raises(InputError) as error:
        load_scheduler_config(path)
    assert error.value.field == where and problem in error.value.problem
    with pytest.raises(InputError):  # offline too: nothing is dropped silently
        load_config(path)


def test_extenders_are_read_for_run_and_refused_offline(tmp_path):
    path = write(tmp_path, extenders=[
        {"urlPrefix": "http://b", "filterVerb": "filter", "ignorable": True},
        {"urlPrefix": "http://a", "filterVerb": "filter", "prioritizeVerb": "prioritize", "weight": 3,
         "bindVerb": "bind", "nodeCacheCapable": True, "httpTimeout": "2s",
         "managedResources": [{"name": "example.com/foo", "ignoredByScheduler": True}]}])
    _, config = load_scheduler_config(path)
    first, second = config.extenders
    assert first.url_prefix == "http://a" and second.ignorable  # ignorable ones are called last
    assert (first.weight, first.timeout, first.node_cache_capable, first.bind_verb) == (3, 2.0, True, "bind")
    assert first.managed_resources[0].ignored_by_scheduler
    with pytest.raises(InputError) as error:
        load_config(path)
    assert error.value.field == "extenders" and "kubesched run" in error.value.problem
