"""DynamicResourcesArgs: bindingTimeout (how long PreBind waits for devices' binding
conditions) and filterTimeout (how long `run` lets one node's device search take) are
honoured; both validated with upstream's words."""

from __future__ import annotations

import pytest

from kubesched.errors import InputError
from kubesched.framework.config import parse_config

ARGS = "profiles[0].pluginConfig[0].args"


def _config(args: dict) -> dict:
    return {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
            "profiles": [{"pluginConfig": [{"name": "DynamicResources", "args": args}]}]}


def test_binding_timeout_is_read_and_defaults_to_600_seconds():
    assert parse_config(_config({}))["default-scheduler"].dra_binding_timeout_seconds == 600
    profile = parse_config(_config({"bindingTimeout": "1m30s", "filterTimeout": "0s"}))["default-scheduler"]
    assert profile.dra_binding_timeout_seconds == 90
    assert profile.dra_filter_timeout_seconds == 0


def test_filter_timeout_is_read_and_defaults_to_10_seconds():
    assert parse_config(_config({}))["default-scheduler"].dra_filter_timeout_seconds == 10
    assert parse_config(_config({"filterTimeout": "2m"}))["default-scheduler"].dra_filter_timeout_seconds == 120


@pytest.mark.parametrize("args, field, words", [
    ({"bindingTimeout": "500ms"}, f"{ARGS}.bindingTimeout", "must be at least 1 second"),
    ({"filterTimeout": "-1s"}, f"{ARGS}.filterTimeout", "must be zero or positive"),
    ({"bindingTimeout": "ten"}, f"{ARGS}.bindingTimeout", 'time: invalid duration "ten"'),
    ({"bindTimeout": "1s"}, f"{ARGS}.bindTimeout", "unknown field"),
])
def test_invalid_values_name_the_field(args, field, words):
    with pytest.raises(InputError) as caught:
        parse_config(_config(args), "config.yaml")
    assert caught.value.field == field
    assert words in caught.value.problem
