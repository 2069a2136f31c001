"""The packages of kubesched import each other downwards only: an import graph read from the
sources (every import, those inside functions too), checked for cycles between packages and
against the layers below. A package here is a subpackage of kubesched or one of its top-level
modules (errors, inputs, ...); `_core`, `_json_items` and `_placements_json` are the native modules."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "kubesched"
NATIVE = {path.stem for path in (ROOT / "src" / "_core").glob("*.pyx")}

# Each package may import the packages of lower layers only (and none of its own layer).
LAYERS = (
    {"kubesched", "errors", "logs", "progress", "deadline", *NATIVE},
    {"inputs"},  # which input files a command reads
    {"model"},  # manifests into records
    {"dra", "kube"},  # DRA's allocator; the API client
    {"plugins"},  # upstream's plugins: names, extension points, args, reason texts
    {"framework", "serving", "cluster"},  # profiles and configuration; HTTP serving; the local control plane
    {"engine"},  # the cluster as the core sees it, the only user of the core
    {"preemption"},  # victims
    {"extenders"},  # HTTP extenders in a decision
    {"trace", "plan", "live", "sim"},  # what the commands do: trace, plan, run, simulate and explain
    {"reports"},  # report pages of simulate and plan
    {"cli"},
    {"__main__"},
)

ENGINE = "engine"  # the package that alone imports the core (kubesched._core)

# Imports against the layers that are meant, each with why; the test fails when one is gone.
KNOWN_UPWARD = {
    ("kubesched.model.dra_objects", "kubesched.dra.cel"):
        "a DRA selector's CEL is compiled while its object is parsed, so that a bad expression is "
        "an input error naming the field; dra.cel evaluates against model's DRA records",
}
# Cycles between packages that are meant (the packages of each), each with why.
KNOWN_CYCLES = {
    frozenset({"model", "dra"}): KNOWN_UPWARD[("kubesched.model.dra_objects", "kubesched.dra.cel")],
}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    line: int
    target: str  # the module imported

    def __str__(self) -> str:
        return f"{self.module} (line {self.line}) imports {self.target}"


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCES.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {module_name(path): path for path in SOURCES.rglob("*.py")}
    found.update({f"kubesched.{name}": SOURCES / name for name in NATIVE})
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> list[Import]:
    """The kubesched and tests modules `name` imports, wherever in the file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(name, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:  # `from kubesched import _core` imports the module kubesched._core
                full = f"{base}.{alias.name}"
                found.append(Import(name, node.lineno, full if full in known else base))
    return [i for i in dict.fromkeys(found) if i.target.split(".")[0] in ("kubesched", "tests")]


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def import_graph() -> list[Import]:
    known = modules()
    return [i for name, path in known.items() if path.suffix == ".py" for i in imports_of(name, path, known)]


def package_edges(imports: list[Import]) -> dict[str, dict[str, Import]]:
    """Package → package it imports → the first import that says so."""
    edges: dict[str, dict[str, Import]] = defaultdict(dict)
    for i in sorted(imports, key=lambda i: (i.module, i.line)):
        a, b = package_of(i.module), package_of(i.target)
        if a != b and i.target.startswith("kubesched"):
            edges[a].setdefault(b, i)
    return edges


def cycles(edges: dict[str, dict[str, Import]]) -> list[list[str]]:
    """One shortest cycle per strongly connected set of packages (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            components.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [_shortest_cycle(min(c), c, edges) for c in components if len(c) > 1]


def _shortest_cycle(start: str, component: set[str], edges: dict[str, dict[str, Import]]) -> list[str]:
    paths = [[start]]
    while paths:
        path = paths.pop(0)
        for w in sorted(edges.get(path[-1], {})):
            if w == start:
                return path + [start]
            if w in component and w not in path:
                paths.append(path + [w])
    raise AssertionError(f"no cycle through {start}")


def describe(cycle: list[str], edges: dict[str, dict[str, Import]]) -> str:
    return " → ".join(cycle) + ": " + "; ".join(str(edges[a][b]) for a, b in zip(cycle, cycle[1:]))


def layer_of(package: str) -> int:
    return next(n for n, layer in enumerate(LAYERS) if package in layer)


def upward(imports: list[Import]) -> list[Import]:
    """Imports of a package of the same layer or a higher one."""
    return [i for i in imports if i.target.startswith("kubesched")
            and package_of(i.module) != package_of(i.target)
            and layer_of(package_of(i.target)) >= layer_of(package_of(i.module))]


# -- the checks on kubesched's own sources -------------------------------------------------


def test_every_package_has_a_layer_and_a_readme():
    packages = {package_of(name) for name in modules()}
    unplaced = sorted(p for p in packages if not any(p in layer for layer in LAYERS))
    assert not unplaced, f"packages in no layer of LAYERS: {unplaced}"
    gone = sorted(p for layer in LAYERS for p in layer if p not in packages)
    assert not gone, f"LAYERS names packages that are not in src/kubesched: {gone}"
    missing = sorted(str(path.relative_to(ROOT)) for path in SOURCES.iterdir()
                     if any(path.glob("*.py")) and not (path / "README.md").exists())
    assert not missing, f"packages without a README.md: {missing}"


def test_no_import_cycle_between_packages_but_the_known_ones():
    edges = package_edges(import_graph())
    found = cycles(edges)
    unknown = [describe(c, edges) for c in found if frozenset(c) not in KNOWN_CYCLES]
    assert not unknown, "import cycles between packages:\n" + "\n".join(unknown)
    gone = sorted(sorted(c) for c in set(KNOWN_CYCLES) - {frozenset(c) for c in found})
    assert not gone, f"KNOWN_CYCLES lists cycles that are gone (remove them): {gone}"


def test_packages_import_lower_layers_only():
    found = upward(import_graph())
    unknown = [f"{i}: {package_of(i.module)} (layer {layer_of(package_of(i.module))}) may not import "
               f"{package_of(i.target)} (layer {layer_of(package_of(i.target))})"
               for i in found if (i.module, i.target) not in KNOWN_UPWARD]
    assert not unknown, "imports against the layers (tests/unit/test_layering.py LAYERS):\n" + "\n".join(unknown)
    gone = sorted(set(KNOWN_UPWARD) - {(i.module, i.target) for i in found})
    assert not gone, f"KNOWN_UPWARD lists imports that are gone (remove them): {gone}"


def core_imports(imports: list[Import]) -> list[Import]:
    """The imports of the core from outside the engine package."""
    return [i for i in imports if i.target == "kubesched._core" and package_of(i.module) != ENGINE]


def test_only_the_engine_imports_the_core():
    found = [str(i) for i in core_imports(import_graph())]
    assert not found, f"kubesched._core is the {ENGINE} package's alone:\n" + "\n".join(found)


def engine_reads(name: str, path: Path) -> list[str]:
    """Where a module outside the engine package reads the engine's core object (`._engine`)."""
    if package_of(name) == ENGINE:
        return []
    return [f"{name} (line {node.lineno}) reads ._engine" for node in ast.walk(ast.parse(path.read_text(), str(path)))
            if isinstance(node, ast.Attribute) and node.attr == "_engine"]


def test_only_the_engine_reads_its_core_object():
    found = [read for name, path in modules().items() if path.suffix == ".py" for read in engine_reads(name, path)]
    assert not found, (f"the core object is the {ENGINE} package's alone (use ClusterSnapshot's methods):\n"
                       + "\n".join(found))


def test_the_sources_never_import_the_tests():
    found = [str(i) for i in import_graph() if i.target.split(".")[0] == "tests"]
    assert not found, "src/kubesched imports the tests (tests/reference is the tests' own):\n" + "\n".join(found)


# -- the checks themselves, on made-up graphs ----------------------------------------------


def _edges(*pairs: str) -> dict[str, dict[str, Import]]:
    edges: dict[str, dict[str, Import]] = defaultdict(dict)
    for pair in pairs:
        a, b = pair.split(">")
        edges[a][b] = Import(f"kubesched.{a}.m", 1, f"kubesched.{b}.n")
    return edges


def test_cycles_are_found_and_named_by_their_imports():
    edges = _edges("cli>sim", "sim>snapshot", "snapshot>framework", "framework>sim", "model>dra", "dra>model",
                   "cli>model")
    found = sorted(cycles(edges))
    assert found == [["dra", "model", "dra"], ["framework", "sim", "snapshot", "framework"]]
    assert describe(found[0], edges) == ("dra → model → dra: kubesched.dra.m (line 1) imports kubesched.model.n; "
                                         "kubesched.model.m (line 1) imports kubesched.dra.n")
    assert cycles(_edges("cli>sim", "sim>model", "cli>model")) == []


def test_imports_are_read_wherever_they_are_and_resolved_to_modules(tmp_path):
    package = tmp_path / "kubesched" / "sim"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    source = package / "lazy.py"
    source.write_text("from kubesched import _core\nfrom . import other\nfrom ..model.records import Pod\n"
                      "import tests.reference.fit\n"
                      "def later():\n    from kubesched.live.cache import Cache\n    import os\n")
    known = {"kubesched._core": Path(), "kubesched.sim.other": Path()}
    found = imports_of("kubesched.sim.lazy", source, known)
    assert [(i.line, i.target) for i in found] == [
        (1, "kubesched._core"), (2, "kubesched.sim.other"), (3, "kubesched.model.records"),
        (4, "tests.reference.fit"), (6, "kubesched.live.cache")]
    assert [str(i) for i in upward(found)] == ["kubesched.sim.lazy (line 6) imports kubesched.live.cache"]


def test_core_imports_are_found_outside_the_engine_only():
    imports = [Import("kubesched.plan.packing", 3, "kubesched._core"), Import(f"kubesched.{ENGINE}.cluster", 9, "kubesched._core"),
               Import("kubesched.plan.packing", 4, "kubesched.model.records")]
    assert core_imports(imports) == [imports[0]]


def test_engine_reads_are_found_outside_the_engine_only(tmp_path):
    source = tmp_path / "reads.py"
    source.write_text("def f(snapshot):\n    snapshot._engine.assume(0, 0)\n    return snapshot.engine_name\n")
    assert engine_reads("kubesched.plan.reads", source) == ["kubesched.plan.reads (line 2) reads ._engine"]
    assert engine_reads(f"kubesched.{ENGINE}.reads", source) == []
