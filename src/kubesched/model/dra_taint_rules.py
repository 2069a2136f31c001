"""DeviceTaintRules (`resource.k8s.io/v1`, DRADeviceTaintRules: GA and on in v1.37): a
rule adds its taint to every device its selector picks (by driver, pool and device name;
no selector picks none), as if the driver had published the taint in the slice. The
scheduler reads slices with these taints added (upstream's ListPatchedResourceSlices), so
the allocator tolerates them or not as device taints."""

from __future__ import annotations

from dataclasses import replace

from kubesched.errors import InputError
from kubesched.model.dra_records import DeviceTaint, DeviceTaintRule, ResourceSlice
from kubesched.model.fields import mapping, one_of, string
from kubesched.model.validation import label_value, qualified_name


TAINT_EFFECTS = ("NoSchedule", "NoExecute", "None")


def parse_taint_rule(obj: dict, read_name) -> DeviceTaintRule:
    """`read_name` is dra_objects' reader of metadata.name."""
    _, name = read_name(obj, namespaced=False)
    spec = mapping(obj.get("spec"), "spec")
    if spec.get("taint") is None:
        raise InputError("Required value", field="spec.taint")
    raw = mapping(spec.get("taint"), "spec.taint")
    key = qualified_name(string(raw.get("key"), "spec.taint.key"), "spec.taint.key")
    value = string(raw.get("value"), "spec.taint.value")
    if value:
        label_value(value, "spec.taint.value")
    taint = DeviceTaint(key, value, one_of(string(raw.get("effect"), "spec.taint.effect"), TAINT_EFFECTS,
                                           "spec.taint.effect"))
    selector = spec.get("deviceSelector")
    if selector is None:
        return DeviceTaintRule(name, taint, selects=False)
    selector = mapping(selector, "spec.deviceSelector")
    picked = {}
    for key in ("driver", "pool", "device"):
        value = selector.get(key)
        picked[key] = None if value is None else string(value, f"spec.deviceSelector.{key}")
    return DeviceTaintRule(name, taint, True, **picked)


def _picks(rule: DeviceTaintRule, s: ResourceSlice) -> bool:
    return rule.selects and (rule.driver is None or rule.driver == s.driver) and \
        (rule.pool is None or rule.pool == s.pool)


def with_taint_rules(slices: list[ResourceSlice], rules: list[DeviceTaintRule]) -> list[ResourceSlice]:
    """The slices with each rule's taint added to the devices it picks, rules in input order."""
    if not rules:
        return slices
    patched = []
    for s in slices:
        applying = [r for r in rules if _picks(r, s)]
        if applying:
            devices = tuple(replace(d, taints=(*d.taints, *(r.taint for r in applying
                                                            if r.device is None or r.device == d.name)))
                            for d in s.devices)
            s = replace(s, devices=devices)
        patched.append(s)
    return patched
