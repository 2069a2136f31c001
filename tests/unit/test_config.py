"""KubeSchedulerConfiguration: upstream's schema and merge rules, strict errors."""

from __future__ import annotations

import pytest

from kubesched.errors import InputError
from kubesched.framework.config import parse_config
from kubesched.plugins import CORE_FILTERS

HEAD = {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration"}


def config(**fields) -> dict:
    return {**HEAD, **fields}


def test_no_profiles_gives_the_default_profile():
    profile = parse_config(HEAD)["default-scheduler"]
    assert profile.filters == CORE_FILTERS
    assert profile.weights == {"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1,
                               "PodTopologySpread": 2, "InterPodAffinity": 2,
                               "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1,
                               "DynamicResources": 2, "VolumeBinding": 1}
    assert profile.percentage_of_nodes_to_score == 100


def test_score_weights_disable_and_multipoint():
    profiles = parse_config(config(profiles=[
        {"schedulerName": "a", "plugins": {"score": {"enabled": [{"name": "NodeResourcesFit", "weight": 5}],
                                                       "disabled": [{"name": "ImageLocality"}]}}},
        {"schedulerName": "b", "plugins": {"multiPoint": {"disabled": [{"name": "*"}],
                                                          "enabled": [{"name": "NodeResourcesFit"}]}}},
        {"schedulerName": "c", "plugins": {"filter": {"disabled": [{"name": "TaintToleration"}]}}},
    ]))
    assert profiles["a"].weights["NodeResourcesFit"] == 5
    assert "ImageLocality" not in profiles["a"].weights
    assert profiles["b"].filters == ("NodeResourcesFit",)
    assert profiles["b"].weights == {"NodeResourcesFit": 1}
    assert "TaintToleration" not in profiles["c"].filters
    assert profiles["c"].weights["TaintToleration"] == 3  # its score stays enabled


def test_plugin_args():
    profile = parse_config(config(percentageOfNodesToScore=30, profiles=[{"pluginConfig": [
        {"name": "NodeResourcesFit", "args": {"scoringStrategy": {
            "type": "RequestedToCapacityRatio", "resources": [{"name": "cpu", "weight": 2}],
            "requestedToCapacityRatio": {"shape": [{"utilization": 0, "score": 0},
                                                   {"utilization": 100, "score": 10}]}}}},
        {"name": "InterPodAffinity", "args": {"hardPodAffinityWeight": 7}},
        {"name": "PodTopologySpread", "args": {"defaultingType": "List", "defaultConstraints": [
            {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway"}]}},
        {"name": "NodeAffinity", "args": {"addedAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "pool", "operator": "In", "values": ["a"]}]}]}}}},
    ]}]))["default-scheduler"]
    assert profile.percentage_of_nodes_to_score == 30
    assert profile.strategy == "RequestedToCapacityRatio"
    assert profile.fit_resources == (("cpu", 2),)
    assert profile.shape == ((0, 0), (100, 10))
    assert profile.hard_pod_affinity_weight == 7
    assert profile.spread_defaulting_type == "List"
    assert profile.added_affinity.required_terms[0].match_expressions[0].key == "pool"


@pytest.mark.parametrize("document, field", [
    (config(profile=[]), "profile"),
    (config(profiles=[{"plugins": {"score": {"enabled": [{"name": "NoSuchPlugin"}]}}}]),
     "profiles[0].plugins.score.enabled[0].name"),
    (config(profiles=[{"plugins": {"filter": {"enabled": [{"name": "ImageLocality"}]}}}]),
     "profiles[0].plugins.filter.enabled[0].name"),
    (config(profiles=[{"pluginConfig": [{"name": "NodeResourcesFit",
                                          "args": {"scoringStrategy": {"type": "Fastest"}}}]}]),
     "profiles[0].pluginConfig[0].args.scoringStrategy.type"),
    (config(profiles=[{"pluginConfig": [{"name": "NodeResourcesFit", "args": {"scoringStrategy": {
        "type": "RequestedToCapacityRatio",
        "requestedToCapacityRatio": {"shape": [{"utilization": 50, "score": 1}, {"utilization": 10, "score": 2}]}}}}]}]),
     "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization"),
    (config(profiles=[{"pluginConfig": [{"name": "InterPodAffinity", "args": {"hardPodAffinityWeight": 101}}]}]),
     "profiles[0].pluginConfig[0].args.hardPodAffinityWeight"),
    (config(profiles=[{"pluginConfig": [{"name": "InterPodAffinity", "args": {"colour": 1}}]}]),
     "profiles[0].pluginConfig[0].args.colour"),
    (config(percentageOfNodesToScore=150), "percentageOfNodesToScore"),
    ({**HEAD, "apiVersion": "kubescheduler.config.k8s.io/v1beta3"}, "apiVersion"),
    (config(profiles=[{"schedulerName": "x"}, {"schedulerName": "x"}]), "profiles[1].schedulerName"),
])
def test_invalid_configuration_names_the_field(document, field):
    with pytest.raises(InputError) as caught:
        parse_config(document, "config.yaml")
    assert caught.value.field == field
    assert str(caught.value).startswith(f"config.yaml: KubeSchedulerConfiguration: {field}: ")


def test_python_plugin_by_import_path():
    profile = parse_config(config(profiles=[{"plugins": {
        "filter": {"enabled": [{"name": "examples.plugins.spot:AvoidSpotForCritical"}]},
        "score": {"enabled": [{"name": "examples.plugins.spot:AvoidSpotForCritical", "weight": 2}]}}}]))[
        "default-scheduler"]
    assert profile.python_filters == ("examples.plugins.spot:AvoidSpotForCritical",)
    assert profile.python_scores == (("examples.plugins.spot:AvoidSpotForCritical", 2),)
    with pytest.raises(InputError, match="cannot load Python plugin"):
        parse_config(config(profiles=[{"plugins": {"filter": {"enabled": [{"name": "no.such.module:X"}]}}}]))


def spread(*constraints) -> dict:
    return config(profiles=[{"pluginConfig": [{"name": "PodTopologySpread", "args": {
        "defaultingType": "List", "defaultConstraints": list(constraints)}}]}])


ZONE = {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}
ARGS = "profiles[0].pluginConfig[0].args"


@pytest.mark.parametrize("document, field, words", [
    # ValidateKubeSchedulerConfiguration, with upstream's defaults (16; 1 s and 10 s)
    (config(profiles=[{"pluginConfig": [{"name": "InterPodAffinity"}, {"name": "InterPodAffinity"}]}]),
     "profiles[0].pluginConfig[1].name", "duplicate pluginConfig"),
    # ValidatePodTopologySpreadArgs
    (spread(None), f"{ARGS}.defaultConstraints[0]", "got null"),
    (spread(3), f"{ARGS}.defaultConstraints[0]", "expected a mapping, got a number"),
    (spread({**ZONE, "maxSkew": "1"}), f"{ARGS}.defaultConstraints[0].maxSkew", "expected an integer"),
    (spread({**ZONE, "maxSkew": 0}), f"{ARGS}.defaultConstraints[0].maxSkew", "must be between 1"),
    (spread({**ZONE, "topologyKey": "a b"}), f"{ARGS}.defaultConstraints[0].topologyKey", "invalid topologyKey"),
    (spread({**ZONE, "whenUnsatisfiable": "Maybe"}), f"{ARGS}.defaultConstraints[0].whenUnsatisfiable", "one of"),
    (spread({**ZONE, "labelSelector": {}}), f"{ARGS}.defaultConstraints[0].labelSelector", "must not define"),
    (spread(ZONE, ZONE), f"{ARGS}.defaultConstraints[1]", "duplicate constraint"),
    (spread({**ZONE, "maxskew": 1}), f"{ARGS}.defaultConstraints[0].maxskew", "unknown field"),
    # other plugins' args
    (config(profiles=[{"pluginConfig": [{"name": "NodeResourcesBalancedAllocation", "args": {
        "resources": [{"name": "cpu", "weight": 2}]}}]}]), f"{ARGS}.resources[0].weight", "must be 1"),
    (config(profiles=[{"pluginConfig": [{"name": "NodeResourcesBalancedAllocation", "args": {
        "resources": [{"name": "cpu", "weight": 1}, {"name": "cpu", "weight": 1}]}}]}]),
     f"{ARGS}.resources[1].name", "duplicate resource"),
    (config(profiles=[{"pluginConfig": [{"name": "DefaultPreemption", "args": {"minCandidateNodesPercentage": 101}}]}]),
     f"{ARGS}.minCandidateNodesPercentage", "between 0 and 100"),
    (config(profiles=[{"pluginConfig": [{"name": "DefaultPreemption", "args": {
        "minCandidateNodesPercentage": 0, "minCandidateNodesAbsolute": 0}}]}]),
     f"{ARGS}.minCandidateNodesPercentage", "cannot be zero at the same time"),
    (config(profiles=[{"pluginConfig": [{"name": "VolumeBinding", "args": {"bindTimeoutSeconds": -1}}]}]),
     f"{ARGS}.bindTimeoutSeconds", "must be between 0"),
    (config(profiles=[{1: 2}]), "profiles[0].1", "unknown field"),
])
def test_upstream_validation(document, field, words):
    with pytest.raises(InputError) as caught:
        parse_config(document, "config.yaml")
    assert caught.value.field == field
    assert words in caught.value.problem


def test_valid_default_constraints_are_kept():
    profile = parse_config(spread(ZONE))["default-scheduler"]
    assert profile.spread_default_constraints == (ZONE,)


@pytest.mark.parametrize("name, words", [
    ("os:system", "is not a class"),
    ("sys:exit", "is not a class"),
    ("subprocess:Popen", "has neither a filter nor a score method"),
    ("examples.plugins.spot:Missing", "AttributeError"),
])
def test_only_plugin_classes_are_loaded(name, words):
    with pytest.raises(InputError) as caught:
        parse_config(config(profiles=[{"schedulerName": "p", "plugins": {"filter": {"enabled": [{"name": name}]}}}]),
                     "config.yaml")
    assert caught.value.file == "config.yaml"
    assert caught.value.field == "profiles[0].plugins.filter.enabled[0].name"
    assert words in caught.value.problem and "(in profile p)" in caught.value.problem


UNSORTED = [{"utilization": 50, "score": 5}, {"utilization": 10, "score": 1}]


@pytest.mark.parametrize("plugin_config, field", [
    ({"name": "VolumeBinding", "args": {"shape": UNSORTED}}, "profiles[0].pluginConfig[0].args.shape[1].utilization"),
    ({"name": "NodeResourcesFit", "args": {"scoringStrategy": {
        "type": "RequestedToCapacityRatio", "requestedToCapacityRatio": {"shape": UNSORTED}}}},
     "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1].utilization"),
])
def test_a_score_shape_is_validated_alike_for_both_plugins(plugin_config, field):
    # upstream's validateFunctionShape serves RequestedToCapacityRatio and VolumeBinding
    with pytest.raises(InputError) as caught:
        parse_config(config(profiles=[{"pluginConfig": [plugin_config]}]), "config.yaml")
    assert caught.value.field == field
    assert "values must be sorted in increasing order" in caught.value.problem
