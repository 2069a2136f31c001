"""A seeded, bounded fuzzer of the offline commands: it mutates manifests (the examples and
generated clusters), configurations, node templates, trace CSVs and options, runs each
command on them and checks the command-line contract:

- the exit code is 0, 1 or 2, and the process is not killed by a signal;
- with 2, stderr holds exactly one line `error: ...` (besides `kubesched: warning:` lines);
- no traceback, ever;
- the run ends within its limit (`--time-limit` plus a generous allowance, else a fixed
  guard), far beyond what a healthy run takes, so that only a hang fails it.

Each case runs in a forked child of this process (the modules are imported once), with its
memory bounded, so that a crash, a hang or a runaway allocation is observed, not suffered.

    python -m tests.fuzz --root REPO --seed 1 --cases 200 [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

# Hang guards, not budgets: every case takes well under a second on an idle machine, and the
# guards are wide enough that a busy CI machine never trips them; a real hang (a FIFO read,
# a loop that never ends) still does.
GUARD_SECONDS = 300.0  # a command without --time-limit that runs longer than this is hung
TIME_LIMIT_ALLOWANCE = 120.0  # beyond --time-limit: start-up, reading, the final replay
MEMORY_LIMIT = 3 << 30

HOSTILE_VALUES: list[object] = [
    None, "", 0, -1, 1.5, True, [], {}, "x" * 70_000, "a b", "-", "\n\x00\x1b", "\xff\u2028", 2**31, 2**63,
    2**64, 10**40, 1e308, -1e308, "1e999999999", "7Ei", "9223372036854775807m", "NaN", ".inf", "0.0000001m",
    "Always", "default", "kubernetes.io/hostname", ["x"], [None], [{}], {"a": None}, {1: 2}, "1", "99999", "Gt",
]


@dataclass
class Case:
    number: int
    command: str
    argv: list[str]
    mutation: str
    time_limit: float | None = None


@dataclass
class Outcome:
    case: Case
    exit_code: int | None
    signal: int | None
    seconds: float
    stderr: str
    problems: list[str] = field(default_factory=list)

    @property
    def failure_class(self) -> str | None:
        """What kind of contract breach, and where: the unit the closing note counts."""
        if not self.problems:
            return None
        kind = self.problems[0].split(":")[0]
        detail = ""
        if kind == "traceback":
            lines = [line for line in self.stderr.splitlines() if line.strip()]
            frames = [line.strip() for line in lines if line.strip().startswith("File ")]
            detail = f"{lines[-1].split(':')[0] if lines else '?'} at {frames[-1] if frames else '?'}"
        elif kind == "signal":
            detail = str(self.signal)
        return f"{kind} [{self.case.command}] {detail}".strip()


# --- inputs ------------------------------------------------------------------------------

def generated_cluster(rng: random.Random) -> list[dict]:
    """A small random cluster: nodes in zones, bound and pending pods, a Deployment, a
    DaemonSet, a Service, a PodDisruptionBudget, a PriorityClass."""
    zones = rng.randint(1, 3)
    docs: list[dict] = []
    nodes = []
    for i in range(rng.randint(1, 6)):
        name = f"node-{i}"
        nodes.append(name)
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                      "topology.kubernetes.io/zone": f"zone-{i % zones}"}},
                "status": {"allocatable": {"cpu": str(rng.choice([2, 4, 8])), "memory": rng.choice(["8Gi", "16Gi"]),
                                           "pods": "110"}}}
        if rng.random() < 0.3:
            node["spec"] = {"taints": [{"key": "dedicated", "value": "x", "effect": "NoSchedule"}]}
        docs.append(node)
    docs.append({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"},
                 "value": 1000})
    for i in range(rng.randint(0, 8)):
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": f"pod-{i}", "namespace": "default", "labels": {"app": rng.choice("ab")}},
               "spec": {"containers": [{"name": "c", "image": "nginx",
                                        "resources": {"requests": {"cpu": f"{rng.randint(1, 2000)}m",
                                                                   "memory": f"{rng.randint(1, 2048)}Mi"}}}]}}
        if rng.random() < 0.4:
            pod["spec"]["nodeName"] = rng.choice(nodes)
        if rng.random() < 0.3:
            pod["spec"]["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                                         "whenUnsatisfiable": "DoNotSchedule",
                                                         "labelSelector": {"matchLabels": {"app": "a"}}}]
        if rng.random() < 0.2:
            pod["spec"]["priorityClassName"] = "high"
        docs.append(pod)
    template = {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 80}],
                                         "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}
    docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
                 "spec": {"replicas": rng.randint(0, 5), "selector": {"matchLabels": {"app": "web"}},
                          "template": template}})
    docs.append({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "namespace": "default"},
                 "spec": {"selector": {"matchLabels": {"app": "agent"}},
                          "template": {"metadata": {"labels": {"app": "agent"}},
                                       "spec": {"containers": [{"name": "agent", "image": "agent"}]}}}})
    docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
                 "spec": {"selector": {"app": "web"}}})
    docs.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                 "metadata": {"name": "web", "namespace": "default"},
                 "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}})
    return docs


CONFIG = {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
          "profiles": [{"schedulerName": "default-scheduler",
                        "plugins": {"score": {"enabled": [{"name": "NodeResourcesFit", "weight": 2}]}},
                        "pluginConfig": [
                            {"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}},
                            {"name": "PodTopologySpread", "args": {"defaultingType": "List", "defaultConstraints": [
                                {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                 "whenUnsatisfiable": "ScheduleAnyway"}]}}]}]}
TEMPLATES = [{"apiVersion": "v1", "kind": "Node",
              "metadata": {"name": "m5-large", "annotations": {"kubesched.io/hourly-cost": "0.096"},
                           "labels": {"topology.kubernetes.io/zone": "zone-a"}},
              "status": {"allocatable": {"cpu": "2", "memory": "8Gi", "pods": "110"}}}]
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "worker", "namespace": "default"},
       "spec": {"containers": [{"name": "worker", "image": "w", "resources": {"requests": {"cpu": "1",
                                                                                          "memory": "1Gi"}}}]}}
NODES_CSV = "sn,cpu_milli,memory_mib,gpu,model\nn0,32000,131072,2,T4\nn1,96000,393216,8,G2\n"
PODS_CSV = ("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec\n"
            + "".join(f"p{i},{1000 * (i % 4 + 1)},{1024 * (i % 3 + 1)},{i % 2},{(i % 2) * 500},\n" for i in range(20)))


def _paths(value, prefix=()):
    """Every path into a document, as a tuple of keys and indices."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, (*prefix, i))


def _set(doc, path, value):
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _delete(doc, path):
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]


def mutate_documents(docs: list, rng: random.Random) -> tuple[list, str]:
    docs = copy.deepcopy(docs)
    operator = rng.choice(["value", "value", "value", "delete", "key", "duplicate", "wrap", "kind"])
    index = rng.randrange(len(docs))
    paths = [p for p in _paths(docs[index]) if p]
    if not paths:
        return docs, "none"
    path = rng.choice(paths)
    where = ".".join(str(p) for p in path)
    if operator == "value":
        value = copy.deepcopy(rng.choice(HOSTILE_VALUES))
        _set(docs[index], path, value)
        return docs, f"doc {index} {where} = {str(value)[:40]!r}"
    if operator == "delete":
        _delete(docs[index], path)
        return docs, f"doc {index} del {where}"
    if operator == "key":
        parent = docs[index]
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict):
            parent[rng.choice([1, "", "a b", "x" * 300, "metadata"])] = rng.choice(HOSTILE_VALUES)
        return docs, f"doc {index} key under {where}"
    if operator == "duplicate":
        docs.append(copy.deepcopy(docs[index]))
        return docs, f"doc {index} duplicated"
    if operator == "wrap":
        _set(docs[index], path, [copy.deepcopy(_get(docs[index], path))])
        return docs, f"doc {index} {where} wrapped"
    docs[index]["kind"] = rng.choice(["List", "PodList", "Pod", "Node", "Job", "Deployment", "", 3])
    return docs, f"doc {index} kind changed"


def _get(doc, path):
    for key in path:
        doc = doc[key]
    return doc


TEXT_ATTACKS = {
    "alias bomb": lambda text: text + "\n---\nkind: Pod\nmetadata: {name: bomb}\nspec:\n  containers:\n"
                  + "  - a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
                  + "".join(f"    a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)),
    "recursive alias": lambda text: text + "\n---\nkind: Pod\nmetadata: {name: r}\nspec: &s {containers: [*s]}\n",
    "duplicate key": lambda text: text + "\n---\nkind: Pod\nkind: Node\nmetadata: {name: d}\n",
    "deep nesting": lambda text: text + "\n---\nkind: Pod\nmetadata: {name: deep}\nspec: " + "[" * 900 + "]" * 900,
    "truncated": lambda text: text[: len(text) // 2],
    "tab": lambda text: text.replace("  ", "\t", 1),
}


def mutate_text(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    choice = rng.choice([*TEXT_ATTACKS, "latin-1", "flip"])
    if choice == "latin-1":
        return data + b"\n# caf\xe9\n", "non-UTF-8 byte"
    if choice == "flip":
        if not data:
            return data, "flip (empty)"
        position = rng.randrange(len(data))
        return data[:position] + bytes([rng.randrange(256)]) + data[position + 1:], f"byte {position} flipped"
    return TEXT_ATTACKS[choice](data.decode("utf-8", "replace")).encode(), choice


def _dump(docs: list, json_format: bool) -> bytes:
    if json_format:
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}, default=str).encode()
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True).encode()


# --- cases -------------------------------------------------------------------------------

class CaseMaker:
    def __init__(self, root: Path, work: Path, seed: int):
        self.root, self.work, self.rng = root, work, random.Random(seed)
        self.examples = self._example_documents()

    def _example_documents(self) -> list[dict]:
        docs = []
        for path in sorted((self.root / "examples" / "cluster").glob("*.yaml")) + sorted(
                (self.root / "examples" / "workload").glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc and doc.get("kind") == "List":
                    docs.extend(doc["items"])
                elif doc:
                    docs.append(doc)
        return docs

    def _file(self, directory: Path, name: str, data: bytes) -> str:
        path = directory / name
        path.write_bytes(data)
        return str(path)

    def _special_file(self, directory: Path) -> tuple[str, str]:
        kind = self.rng.choice(["fifo", "dev-zero", "missing", "empty-name", "directory-loop", "newline-name"])
        if kind == "fifo":
            path = directory / "fifo.yaml"
            os.mkfifo(path)
        elif kind == "dev-zero":
            path = directory / "zero.yaml"
            path.symlink_to("/dev/zero")
        elif kind == "missing":
            path = directory / "missing.yaml"
        elif kind == "empty-name":
            return "", kind
        elif kind == "directory-loop":
            path = directory / "loop.yaml"
            path.symlink_to(path)
        else:
            path = directory / "a\nb.yaml"
            path.write_text("kind: Pod\n")
        return str(path), kind

    def make(self, number: int) -> Case:
        rng = self.rng
        directory = self.work / f"case-{number}"
        directory.mkdir()
        base = self.examples if rng.random() < 0.5 else generated_cluster(rng)
        cluster_docs, mutation = base, "none"
        target = rng.choice(["cluster", "cluster", "cluster", "config", "templates", "pod", "csv", "nodes-csv",
                             "option", "file"])
        files: dict[str, bytes] = {}
        json_format = rng.random() < 0.3
        if target == "cluster":
            if rng.random() < 0.75:
                cluster_docs, mutation = mutate_documents(base, rng)
                files["cluster"] = _dump(cluster_docs, json_format)
            else:
                files["cluster"], mutation = mutate_text(_dump(base, False), rng)
                json_format = False
        cluster = self._file(directory, "cluster.json" if json_format else "cluster.yaml",
                             files.get("cluster") or _dump(cluster_docs, json_format))
        config = templates = pod = None
        if target == "config" or rng.random() < 0.2:
            docs = [copy.deepcopy(CONFIG)]
            if target == "config":
                docs, mutation = mutate_documents(docs, rng)
            config = self._file(directory, "config.yaml", yaml.safe_dump_all(docs).encode())
        templates_docs = [copy.deepcopy(TEMPLATES[0])]
        if target == "templates":
            templates_docs, mutation = mutate_documents(templates_docs, rng)
        templates = self._file(directory, "templates.yaml", yaml.safe_dump_all(templates_docs).encode())
        pod_docs = [copy.deepcopy(POD)]
        if target == "pod":
            pod_docs, mutation = mutate_documents(pod_docs, rng)
        pod = self._file(directory, "pod.yaml", yaml.safe_dump_all(pod_docs).encode())
        if target == "file":
            cluster, mutation = self._special_file(directory)

        command = rng.choice(["simulate", "explain", "plan fit", "plan nodes", "plan drain", "trace openb"])
        if target in ("csv", "nodes-csv"):
            command = "trace openb"
        out = str(directory / ("missing-dir/out.json" if rng.random() < 0.05 else "out.json"))
        time_limit = None
        if command == "simulate":
            argv = ["simulate", "-f", cluster, "-o", out]
        elif command == "explain":
            argv = ["explain", "-f", cluster, "--pod", rng.choice(["default/pod-0", "default/web", "x/y", "pod-1"])]
        elif command == "plan fit":
            argv = ["plan", "fit", "-f", cluster, "--pod", pod, "--max-replicas", "200", "-o", out]
        elif command == "plan nodes":
            time_limit = 0.5
            argv = ["plan", "nodes", "-f", cluster, "--node-template", templates, "--time-limit", "0.5", "-o", out]
        elif command == "plan drain":
            argv = ["plan", "drain", "-f", cluster, "--nodes", rng.choice(["node-0", "general-1", "x", ""])]
        else:
            nodes_data = NODES_CSV.encode()
            if target == "nodes-csv":
                nodes_data, mutation = mutate_text(nodes_data, rng) if rng.random() < 0.5 else \
                    (NODES_CSV.replace(",2,T4", ",0,T4").replace(",8,G2", ",0,G2").encode(), "no GPU")
            nodes_csv = self._file(directory, "nodes.csv", nodes_data)
            pods_data = PODS_CSV.encode()
            if target == "csv":
                pods_data, mutation = mutate_text(pods_data, rng)
            pods_csv = self._file(directory, "pods.csv", pods_data)
            argv = ["trace", "openb", "--nodes", nodes_csv, "--pods", pods_csv, "-o", out]
        if config and command in ("simulate", "explain", "plan fit", "plan nodes", "plan drain"):
            argv += ["--config", config]
        if target == "option":
            option, values = rng.choice([("--seed", ["-1", str(2**64), "x", "7"]),
                                         ("--time-limit", ["inf", "nan", "-1", "1e308"]),
                                         ("--max-replicas", ["0", str(2**70)]),
                                         ("--inflation", ["nan", "inf", "1e9", "-1"])])
            value = rng.choice(values)
            argv += [option, value]
            mutation = f"{option} {value}"
            if option == "--time-limit" and value not in ("inf", "nan", "1e308"):
                time_limit = None
        return Case(number, command, argv, mutation, time_limit)


# --- running -----------------------------------------------------------------------------

def run_case(case: Case, work: Path) -> Outcome:
    err_path = work / f"stderr-{case.number}"
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: one command, as `kubesched ARGS` would run it
        code = 1
        try:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(err, 2)
            sys.stdin = open(os.devnull)  # noqa: SIM115 - the child ends with os._exit
            from kubesched.cli import main  # imported by the parent already: the child shares it
            main(case.argv, prog_name="kubesched")
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        except BaseException:  # what the interpreter would print before exiting 1
            traceback.print_exc()
            code = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    limit = GUARD_SECONDS if case.time_limit is None else case.time_limit + TIME_LIMIT_ALLOWANCE
    status = None
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > limit:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = None
            break
        time.sleep(0.01)
    seconds = time.monotonic() - started
    stderr = err_path.read_text(errors="replace") if err_path.exists() else ""
    exit_code = os.waitstatus_to_exitcode(status) if status is not None else None
    signalled = -exit_code if exit_code is not None and exit_code < 0 else None
    outcome = Outcome(case, exit_code if signalled is None else None, signalled, seconds, stderr[-4000:])
    outcome.problems = contract_problems(outcome, status is None, limit)
    return outcome


def contract_problems(outcome: Outcome, killed: bool, limit: float) -> list[str]:
    problems = []
    if killed:
        return [f"hang: still running after {limit:.0f} s"]
    if outcome.signal is not None:
        return [f"signal: killed by signal {outcome.signal}"]
    if "Traceback (most recent call last)" in outcome.stderr:
        problems.append("traceback: " + (outcome.stderr.strip().splitlines() or ["?"])[-1][:200])
    if outcome.exit_code not in (0, 1, 2):
        problems.append(f"exit: code {outcome.exit_code}")
    if outcome.exit_code == 2:
        lines = [line for line in outcome.stderr.splitlines() if not line.startswith("kubesched: warning:")]
        if len(lines) != 1 or not lines[0].startswith("error: "):
            problems.append(f"error lines: {len(lines)} lines instead of one 'error: ...' line")
    return problems


def fuzz(root: Path, seed: int, cases: int) -> list[Outcome]:
    import kubesched.cli  # noqa: F401 - once, before forking: each child starts with every module loaded

    with tempfile.TemporaryDirectory(prefix="kubesched-fuzz-") as directory:
        work = Path(directory)
        maker = CaseMaker(root, work, seed)
        return [run_case(maker.make(number), work) for number in range(cases)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True, help="The repository (for examples/).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="One JSON object per failing case on stdout.")
    args = parser.parse_args(argv)
    outcomes = fuzz(args.root, args.seed, args.cases)
    failures = [o for o in outcomes if o.problems]
    classes: dict[str, int] = {}
    for outcome in failures:
        classes[outcome.failure_class] = classes.get(outcome.failure_class, 0) + 1
        if args.json:
            print(json.dumps({"case": asdict(outcome.case), "problems": outcome.problems,
                              "class": outcome.failure_class, "stderr": outcome.stderr[-1500:]}))
    exits: dict[str, int] = {}
    for outcome in outcomes:
        key = str(outcome.exit_code)
        exits[key] = exits.get(key, 0) + 1
    summary = {"cases": len(outcomes), "failures": len(failures), "classes": classes, "exit_codes": exits,
               "slowest": round(max((o.seconds for o in outcomes), default=0.0), 2)}
    print(json.dumps({"summary": summary}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
