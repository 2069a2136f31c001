"""One HTTP extender: POST urlPrefix/verb with JSON, as upstream's HTTPExtender sends it.
The types of k8s.io/kube-scheduler/extender/v1 have no JSON tags: Go writes their field
names as they are ("Pod", "NodeNames", "FailedNodes", "Host") and reads them in any case."""

from __future__ import annotations

import base64
import ssl

import orjson
import urllib3

from kubesched.framework.extender_config import ExtenderConfig
from kubesched.serving.tls import load_pem_pair


class ExtenderError(Exception):
    pass


class HttpExtender:
    def __init__(self, config: ExtenderConfig):
        self.config = config
        self.managed = {r.name for r in config.managed_resources}
        options = {}
        if config.enable_https:
            options["ssl_context"] = _tls_context(config)
            if dict(config.tls).get("serverName"):
                options["server_hostname"] = dict(config.tls)["serverName"]
        self._pool = urllib3.PoolManager(maxsize=8, **options)

    @property
    def name(self) -> str:
        return self.config.url_prefix

    def is_interested(self, pod: dict) -> bool:
        if not self.managed:
            return True
        spec = pod.get("spec") or {}
        for container in (*(spec.get("containers") or ()), *(spec.get("initContainers") or ())):
            resources = container.get("resources") or {}
            if self.managed & {*(resources.get("requests") or {}), *(resources.get("limits") or {})}:
                return True
        return False

    def filter(self, pod: dict, names: list[str], nodes: dict[str, dict]
               ) -> tuple[list[str], dict[str, str], dict[str, str]]:
        """(names that pass, failed name → message, failed-and-unresolvable name → message)."""
        if not self.config.filter_verb:
            return names, {}, {}
        result = self._send(self.config.filter_verb, self._args(pod, names, nodes))
        if _field(result, "Error"):
            raise ExtenderError(_field(result, "Error"))
        if self.config.node_cache_capable and _field(result, "NodeNames") is not None:
            passed = list(_field(result, "NodeNames"))
            unknown = [n for n in passed if n not in nodes]
            if unknown:
                raise ExtenderError(f"extender {self.name!r} claims a filtered node {unknown[0]!r} "
                                    "which is not found in the input node list")
        else:
            passed = [((item.get("metadata") or {}).get("name")) for item in
                      (_field(_field(result, "Nodes") or {}, "Items") or ())]
        return (passed, dict(_field(result, "FailedNodes") or {}),
                dict(_field(result, "FailedAndUnresolvableNodes") or {}))

    def prioritize(self, pod: dict, names: list[str], nodes: dict[str, dict]) -> dict[str, int]:
        """Node name → score (0..10), not yet weighted."""
        if not self.config.prioritize_verb:
            return {}
        result = self._send(self.config.prioritize_verb, self._args(pod, names, nodes))
        return {_field(entry, "Host"): int(_field(entry, "Score") or 0) for entry in result or ()
                if _field(entry, "Host") is not None}

    @property
    def supports_preemption(self) -> bool:
        return bool(self.config.preempt_verb)

    def process_preemption(self, pod: dict, victims: dict[str, tuple[list[dict], int]]) -> dict[str, tuple[list[str], int]]:
        """ProcessPreemption: `victims` is node → (the victims' pod objects, PDB violations);
        the answer is node → (victim UIDs, PDB violations), as the extender returned it.
        Go's JSON: field names without tags, matched regardless of case."""
        if self.config.node_cache_capable:
            args = {"Pod": pod, "NodeNameToVictims": None, "NodeNameToMetaVictims": {
                node: {"Pods": [{"UID": _uid(p)} for p in pods], "NumPDBViolations": violations}
                for node, (pods, violations) in victims.items()}}
        else:
            args = {"Pod": pod, "NodeNameToVictims": {
                node: {"Pods": pods, "NumPDBViolations": violations} for node, (pods, violations) in victims.items()},
                "NodeNameToMetaVictims": None}
        result = self._send(self.config.preempt_verb, args)
        answer = {}
        try:
            for node, meta in (_field(result, "NodeNameToMetaVictims") or {}).items():
                pods = _field(meta, "Pods") or ()
                uids = [_field(p, "UID") or "" for p in pods]
                violations = _field(meta, "NumPDBViolations") or 0
                if not all(isinstance(uid, str) for uid in uids) or type(violations) is not int:
                    raise TypeError("expected UIDs as strings and NumPDBViolations as an integer")
                answer[node] = (uids, violations)
        except (AttributeError, TypeError) as error:
            raise ExtenderError(f"{self.config.preempt_verb} with extender at URL {self.name}: {error}") from None
        return answer

    def bind(self, namespace: str, name: str, uid: str, node: str) -> None:
        result = self._send(self.config.bind_verb, {"PodName": name, "PodNamespace": namespace,
                                                    "PodUID": uid, "Node": node})
        if _field(result, "Error"):
            raise ExtenderError(_field(result, "Error"))

    def _args(self, pod: dict, names: list[str], nodes: dict[str, dict]) -> dict:
        """ExtenderArgs as Go marshals it: untagged field names, the unset one null."""
        if self.config.node_cache_capable:
            return {"Pod": pod, "Nodes": None, "NodeNames": names}
        return {"Pod": pod, "Nodes": {"metadata": {}, "items": [nodes[n] for n in names]}, "NodeNames": None}

    def _send(self, verb: str, args: dict):
        url = self.config.url_prefix.rstrip("/") + "/" + verb
        try:
            response = self._pool.request("POST", url, body=orjson.dumps(args),
                                          headers={"Content-Type": "application/json"},
                                          timeout=self.config.timeout, retries=False)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise ExtenderError(f"{verb} with extender at URL {url}: {error}") from None
        if response.status != 200:
            raise ExtenderError(f"failed {verb} with extender at URL {url}, code {response.status}")
        try:
            return orjson.loads(response.data)
        except orjson.JSONDecodeError as error:
            raise ExtenderError(f"{verb} with extender at URL {url}: {error}") from None


def _uid(pod: dict) -> str:
    return str((pod.get("metadata") or {}).get("uid") or "")


def _field(obj, name: str):
    """A struct field as Go's encoding/json finds it: the exact name, else any case."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    lowered = name.lower()
    return next((value for key, value in obj.items() if key.lower() == lowered), None)


def _tls_context(config: ExtenderConfig) -> ssl.SSLContext:
    tls = dict(config.tls)
    context = ssl.create_default_context()
    if tls.get("caFile") or tls.get("caData"):
        context.load_verify_locations(cafile=tls.get("caFile") or None,
                                      cadata=_pem(tls["caData"]).decode() if tls.get("caData") else None)
    if tls.get("insecure"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.get("certData"):
        load_pem_pair(context, _pem(tls["certData"]), _pem(tls.get("keyData") or ""))
    elif tls.get("certFile"):
        context.load_cert_chain(tls["certFile"], tls.get("keyFile"))
    return context


def _pem(data: str) -> bytes:
    """certData/keyData/caData are []byte in Go: base64 in JSON and YAML."""
    return base64.b64decode(data)
