"""Unschedulable reasons are attributed to the plugin whose module declares their text."""

import pytest

from kubesched.plugins import PLUGINS
from kubesched.plugins.scheduling_gates import GATED_MESSAGE
from kubesched.reports.reasons import group, plugin_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("reason, plugin", [
    ("node(s) had untolerated taint(s)", "TaintToleration"),
    ("Insufficient nvidia.com/gpu", "NodeResourcesFit"),
    ("Too many pods", "NodeResourcesFit"),
    ("node(s) didn't match pod topology spread constraints (missing required label)", "PodTopologySpread"),
    ("ebs.csi.aws.com CSI driver is not installed on the node", "NodeVolumeLimits"),
    ("cannot allocate all claims", "DynamicResources"),
    ("pod affinity terms conflict", "NodeAffinity"),
    ("node(s) had no available volume zone", "VolumeZone"),
    (GATED_MESSAGE, "SchedulingGates"),
    ("node(s) didn't satisfy plugin(s) [NodeAffinity]", "-"),  # the framework's, not a plugin's
    ("too hot today", "-"),  # a Python plugin's
])
def test_a_reason_belongs_to_the_plugin_declaring_it(reason, plugin):
    assert plugin_of(reason) == plugin


def test_every_declared_reason_is_attributed_to_its_plugin():
    for plugin in PLUGINS:
        for reason in plugin.reasons:
            text = reason.text.format(resource="example.com/foo", driver="csi.example.com")
            assert plugin_of(text) == plugin.name, text


def test_group_counts_pods_per_plugin_and_reason():
    messages = ["0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu.",
                "0/3 nodes are available: 3 Insufficient cpu."]
    assert group(messages) == [{"plugin": "NodeResourcesFit", "reason": "Insufficient cpu", "pods": 2},
                               {"plugin": "TaintToleration", "reason": "node(s) had untolerated taint(s)", "pods": 1}]
