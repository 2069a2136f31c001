"""The pure-Python references (tests/reference) decide on their own: from production they
import records, parsing, upstream's constants and message texts only, each name on the
allow-list below, never a module as a whole; and they call none of the decision methods some
shared records carry. A bug in production decision code then shows as a difference from the
reference instead of sitting on both sides of the comparison."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "tests" / "reference"

# module -> the names the references may import from it (what they are).
ALLOWED = {
    "kubesched.model.records": {"LabelSelector", "Node", "NodeSelectorTerm", "Pod", "PodAffinityTerm", "Requirement",
                                "Taint", "Toleration", "TopologySpreadConstraint"},  # records
    "kubesched.model.storage": {"NO_PROVISIONER", "PersistentVolume", "PersistentVolumeClaim",
                                "StorageObjects"},  # records, upstream's no-provisioner name
    "kubesched.model.dra_records": {"ALL", "Capacity", "ClaimSpec", "Device", "DeviceClass", "DeviceTaint",
                                    "DeviceToleration", "ResourceSlice", "SubRequest"},  # records
    "kubesched.model.csi_migration": {"MIGRATED_DRIVERS", "UNCOUNTED_MIGRATABLE"},  # upstream's plugin tables
    "kubesched.model.gpu": {"GPU_MODEL_LABEL", "GPU_RESOURCE", "MILLI_PER_GPU", "GpuRequest",
                            "gpu_request"},  # names, and a pod's GPU annotations parsed
    "kubesched.framework.profile": {"Profile"},  # the configuration as read
    "kubesched.framework.cluster_objects": {"ClusterObjects"},  # a record of the other objects
    "kubesched.framework.typical_pods": {"TypicalPod"},  # a record
    "kubesched.dra.cel": {"compiled"},  # the CEL library's evaluation of a device selector
    "kubesched.preemption.args": {"PreemptionArgs"},  # a record
    "kubesched.preemption.pdb": {"PodDisruptionBudget"},  # a record
    "kubesched.preemption.result": {"NEVER", "NO_VICTIMS", "NOT_HELPFUL", "TERMINATING", "Candidate",
                                    "Preemption"},  # records, upstream's message texts
    "kubesched.plan.packing": {"Packing", "PackingProblem"},  # the problem and answer records
}
# Decision methods of shared records: the references compute these themselves.
DECISION_METHODS = {"fit_ignores", "gpu_select", "selects", "in_use", "claim_name"}


def production_imports(source: str, path: str) -> list[tuple[str, int, str, str]]:
    """(path, line, module, name) of each production import; name "*" imports the module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(path, node.lineno, alias.name, "*") for alias in node.names
                      if alias.name.split(".")[0] == "kubesched"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "kubesched":
            if node.module == "kubesched":  # `from kubesched import snapshot`: a module as a whole
                found += [(path, node.lineno, f"kubesched.{alias.name}", "*") for alias in node.names]
            else:
                found += [(path, node.lineno, node.module, alias.name) for alias in node.names]
    return found


def decision_calls(source: str, path: str) -> list[tuple[str, int, str]]:
    return [(path, node.lineno, node.attr) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in DECISION_METHODS]


def not_allowed(imports) -> list[str]:
    return [f"{path}:{line} imports {name} from {module}" if name != "*" else f"{path}:{line} imports {module}"
            for path, line, module, name in imports if name not in ALLOWED.get(module, ())]


def reference_sources() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text() for p in sorted(REFERENCE.glob("*.py"))}


def test_the_references_import_only_allowed_production_names():
    imports = [i for path, source in reference_sources().items() for i in production_imports(source, path)]
    bad = not_allowed(imports)
    assert not bad, ("tests/reference imports production decision code (write it in the reference, or add a record, "
                     "parsing or constant name to ALLOWED in tests/unit/test_reference_independent.py):\n"
                     + "\n".join(bad))
    used = {(module, name) for _, _, module, name in imports}
    stale = sorted(f"{module}.{name}" for module, names in ALLOWED.items() for name in names
                   if (module, name) not in used)
    assert not stale, f"ALLOWED lists names the references no longer import (remove them): {stale}"


def test_the_references_call_no_decision_method_of_a_record():
    calls = [c for path, source in reference_sources().items() for c in decision_calls(source, path)]
    assert not calls, "\n".join(f"{path}:{line} calls .{name}" for path, line, name in calls)


# -- the checks themselves, on made-up sources ---------------------------------------------------


def test_module_imports_and_unlisted_names_are_found():
    source = ("import math\nimport kubesched.snapshot.volumes\nfrom kubesched import preemption\n"
              "from kubesched.model.records import Pod\nfrom kubesched.model.selectors import label_selector_matches\n"
              "from tests.reference.selectors import term_matches\n"
              "def later():\n    from kubesched.preemption.select import pick_candidate\n")
    found = production_imports(source, "ref.py")
    assert [(line, module, name) for _, line, module, name in found] == [
        (2, "kubesched.snapshot.volumes", "*"), (3, "kubesched.preemption", "*"), (4, "kubesched.model.records", "Pod"),
        (5, "kubesched.model.selectors", "label_selector_matches"),
        (8, "kubesched.preemption.select", "pick_candidate")]
    assert not_allowed(found) == [
        "ref.py:2 imports kubesched.snapshot.volumes", "ref.py:3 imports kubesched.preemption",
        "ref.py:5 imports label_selector_matches from kubesched.model.selectors",
        "ref.py:8 imports pick_candidate from kubesched.preemption.select"]


def test_decision_methods_are_found():
    source = "def f(profile, pdb, pod):\n    return profile.fit_ignores('x') or pdb.selects(pod) or profile.weights\n"
    assert decision_calls(source, "ref.py") == [("ref.py", 2, "fit_ignores"), ("ref.py", 2, "selects")]
