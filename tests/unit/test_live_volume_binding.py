"""kubesched run's VolumeBinding: the storage objects judged live, a PV taken by one pod not
offered to the next (Reserve), PreBind's writes (a PV's claimRef, a claim's selected node),
the pod bound only once its claims are bound, and a binding that cannot complete failing
(against a fake API that plays the PV controller)."""

import threading

import pytest

from kubesched.framework.profile import Profile
from kubesched.kube import ApiError
from kubesched.live.cache import Cache
from tests import live_loop
from tests.live_loop import step
from kubesched.live.volume_binding import BOUND_BY_CONTROLLER, LiveVolumes, VolumeBindings, bind_volume_to_claim

pytestmark = pytest.mark.unit

NAME = "kubesched"
NS = "ns"


class PvController:
    """A fake API: keeps the PVs and claims written; a claim is bound once a PV names it in
    claimRef, or once it has a selected node (provisioned), unless `binds` is False."""

    def __init__(self, binds=True):
        self.binds = binds  # True, False, or an Event: binds once set
        self.requests = []
        self.pvs, self.claims = {}, {}
        self.lock = threading.Lock()

    def request(self, method, path, body=None, **_):
        with self.lock:
            self.requests.append((method, path, body))
            name = path.rsplit("/", 1)[1]
            if "/persistentvolumes/" in path:
                if method == "PUT":
                    self.pvs[name] = body
                return self.pvs[name]
            if "/persistentvolumeclaims/" in path:
                if method == "PUT":
                    self.claims[name] = body
                    return body
                return self._claim(name)
            return {}

    def _claim(self, name):
        claim = self.claims.get(name) or {"metadata": {"name": name, "namespace": NS}}
        volume = next((pv_name for pv_name, pv in self.pvs.items()
                       if (pv["spec"].get("claimRef") or {}).get("name") == name), None)
        if volume is None and "volume.kubernetes.io/selected-node" in (claim["metadata"].get("annotations") or {}):
            volume = f"pvc-{name}"
        binds = self.binds.is_set() if isinstance(self.binds, threading.Event) else self.binds
        if not binds or volume is None:
            return claim
        annotations = {**(claim["metadata"].get("annotations") or {}), "pv.kubernetes.io/bind-completed": "yes"}
        return {**claim, "metadata": {**claim["metadata"], "annotations": annotations},
                "spec": {"volumeName": volume}}

    def calls(self, method, part=""):
        with self.lock:
            return [(p, b) for m, p, b in self.requests if m == method and part in p]


def node_obj(name):
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}


def local_class(provisioner="kubernetes.io/no-provisioner"):
    return {"metadata": {"name": "local"}, "provisioner": provisioner, "volumeBindingMode": "WaitForFirstConsumer"}


def local_pv(name, node):
    return {"metadata": {"name": name, "resourceVersion": "1"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "local",
                     "local": {"path": "/mnt"}, "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}},
            "status": {"phase": "Available"}}


def claim_obj(name):
    return {"metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}", "resourceVersion": "1"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "local",
                     "resources": {"requests": {"storage": "1Gi"}}},
            "status": {"phase": "Pending"}}


def pod_obj(name, claim):
    return {"metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}"},
            "spec": {"schedulerName": NAME, "containers": [{"name": "c", "image": "i"}],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]}}


def scheduler(kube, bind_timeout=600):
    return live_loop.scheduler(kube, NAME, pluginConfig=[
        {"name": "VolumeBinding", "args": {"kind": "VolumeBindingArgs", "bindTimeoutSeconds": bind_timeout}}])


def cluster(sched, provisioner="kubernetes.io/no-provisioner", pvs=(("pv-0", "n0"), ("pv-1", "n1"))):
    for name in ("n0", "n1"):
        sched.inbox.put(("node", "ADDED", node_obj(name)))
    sched.inbox.put(("volume:StorageClass", "ADDED", local_class(provisioner)))
    for name, node in pvs:
        sched.inbox.put(("volume:PersistentVolume", "ADDED", local_pv(name, node)))
    for i in range(3):
        sched.inbox.put(("volume:PersistentVolumeClaim", "ADDED", claim_obj(f"data-{i}")))
        sched.inbox.put(("pod", "ADDED", pod_obj(f"web-{i}", f"data-{i}")))


def test_each_pod_takes_its_own_local_pv_and_is_bound_after_its_claim():
    kube = PvController()
    sched = scheduler(kube)
    try:
        cluster(sched)
        step(sched, until=lambda: len(kube.calls("POST", "/binding")) == 2 and "uid-web-2" in sched.queue.pods
             and sched.queue.pods["uid-web-2"].message)
        written = {name: pv for name, pv in kube.pvs.items()}
        assert sorted(written) == ["pv-0", "pv-1"]
        claims = sorted(pv["spec"]["claimRef"]["name"] for pv in written.values())
        assert len(set(claims)) == 2 and all(c.startswith("data-") for c in claims)
        for pv in written.values():
            ref = pv["spec"]["claimRef"]
            assert ref == {"kind": "PersistentVolumeClaim", "namespace": NS, "name": ref["name"],
                           "uid": f"uid-{ref['name']}", "apiVersion": "v1", "resourceVersion": "1"}
            assert pv["metadata"]["annotations"][BOUND_BY_CONTROLLER] == "yes"
        for path, body in kube.calls("POST", "/binding"):
            pod_name = path.split("/pods/")[1].split("/")[0]
            claim = f"data-{pod_name.rsplit('-', 1)[1]}"
            pv = next(n for n, p in written.items() if p["spec"]["claimRef"]["name"] == claim)
            assert body["target"]["name"] == {"pv-0": "n0", "pv-1": "n1"}[pv]  # the pod on its PV's node
        # each binding came after the PV write of its claim and a GET that showed the claim bound
        order = [(m, p) for m, p, _ in kube.requests]
        for path, _ in kube.calls("POST", "/binding"):
            assert any(m == "PUT" and "/persistentvolumes/" in p for m, p in order[:order.index(("POST", path))])
        assert sched.queue.pods["uid-web-2"].message == \
            ("0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind. "
             "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
    finally:
        sched.shutdown()


def test_dynamic_provisioning_selects_the_node_on_the_claim():
    kube = PvController()
    sched = scheduler(kube)
    try:
        cluster(sched, provisioner="example.com/local", pvs=())
        step(sched, until=lambda: len(kube.calls("POST", "/binding")) == 3)
        bound = {p.split("/pods/")[1].split("/")[0]: b["target"]["name"] for p, b in kube.calls("POST", "/binding")}
        for i in range(3):
            claim = kube.claims[f"data-{i}"]
            assert claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == bound[f"web-{i}"]
        assert kube.calls("PUT", "/persistentvolumes/") == []
    finally:
        sched.shutdown()


def test_a_claim_never_bound_fails_the_binding_and_gives_the_pv_back():
    kube = PvController(binds=False)
    sched = scheduler(kube, bind_timeout=0)  # the first check decides: no waiting
    try:
        for name in ("n0",):
            sched.inbox.put(("node", "ADDED", node_obj(name)))
        sched.inbox.put(("volume:StorageClass", "ADDED", local_class()))
        sched.inbox.put(("volume:PersistentVolume", "ADDED", local_pv("pv-0", "n0")))
        sched.inbox.put(("volume:PersistentVolumeClaim", "ADDED", claim_obj("data-0")))
        sched.inbox.put(("pod", "ADDED", pod_obj("web-0", "data-0")))
        step(sched, until=lambda: sched.metrics.attempts.labels("error", NAME)._value.get() >= 1)
        assert kube.calls("POST", "/binding") == []  # never bound with its claim unbound
        assert "uid-web-0" not in sched.cache.placed and "uid-web-0" not in sched.volumes.assumed
        assert "uid-web-0" in sched.queue.pods  # retried
        assert sched.volumes.storage().volumes["pv-0"].claim_ref is None  # the assumed PV is given back
    finally:
        sched.shutdown()


def test_a_failed_prebind_shows_on_the_pod_and_retries_after_backoff():
    """As upstream's handleBindingCycleError: Unreserve, a FailedScheduling event and the
    PodScheduled=False condition (reason SchedulerError) with the framework's words, the pod
    back in the queue through its backoff."""
    kube = PvController(binds=False)
    sched = scheduler(kube, bind_timeout=0)
    message = 'running PreBind plugin "VolumeBinding": binding volumes: context deadline exceeded'
    try:
        sched.inbox.put(("node", "ADDED", node_obj("n0")))
        sched.inbox.put(("volume:StorageClass", "ADDED", local_class()))
        sched.inbox.put(("volume:PersistentVolume", "ADDED", local_pv("pv-0", "n0")))
        sched.inbox.put(("volume:PersistentVolumeClaim", "ADDED", claim_obj("data-0")))
        sched.inbox.put(("pod", "ADDED", pod_obj("web-0", "data-0")))
        step(sched, until=lambda: kube.calls("PATCH", "/pods/web-0/status")
             and any(b and b.get("reason") == "FailedScheduling" for _, b in kube.calls("POST", "/events")))
        (_, patch), *_ = kube.calls("PATCH", "/pods/web-0/status")
        condition, = patch["status"]["conditions"]
        assert (condition["type"], condition["status"], condition["reason"], condition["message"]) == \
            ("PodScheduled", "False", "SchedulerError", message)
        event = next(b for _, b in kube.calls("POST", "/events") if b.get("reason") == "FailedScheduling")
        assert (event["type"], event["note"], event["regarding"]["name"]) == ("Warning", message, "web-0")
        entry = sched.queue.pods["uid-web-0"]
        assert entry.attempts >= 1 and entry.last_failure is not None  # requeued through the backoff
        assert "uid-web-0" not in sched.volumes.assumed and "uid-web-0" not in sched.cache.placed
    finally:
        sched.shutdown()


def test_prebind_fails_when_the_claim_ref_is_reset():
    kube = PvController(binds=False)
    pv = bind_volume_to_claim(local_pv("pv-0", "n0"), claim_obj("data-0"))
    bindings = VolumeBindings(NS, "web-0", "n0", [(pv, claim_obj("data-0"))], [])
    volumes = LiveVolumes(kube, cache=type("C", (), {"storage": None})())
    original = kube.request

    def reset(method, path, body=None, **kw):
        answer = original(method, path, body, **kw)
        if method == "GET" and "/persistentvolumes/" in path:
            return {**answer, "spec": {**answer["spec"], "claimRef": None}}
        return answer
    kube.request = reset
    assert volumes.prebind(bindings, timeout=600) == 'binding volumes: ClaimRef got reset for pv "pv-0"'


def test_prebind_reports_a_failed_write():
    class Refusing(PvController):
        def request(self, method, path, body=None, **kw):
            if method == "PUT":
                raise ApiError(409, {"message": "the object has been modified"})
            return super().request(method, path, body, **kw)
    pv = bind_volume_to_claim(local_pv("pv-0", "n0"), claim_obj("data-0"))
    volumes = LiveVolumes(Refusing(), cache=type("C", (), {"storage": None})())
    error = volumes.prebind(VolumeBindings(NS, "web-0", "n0", [(pv, claim_obj("data-0"))], []), timeout=600)
    assert error == "the object has been modified"  # bindAPIUpdate's error as the API gave it


def test_a_pv_pre_bound_to_the_claim_is_not_marked_bound_by_controller():
    pv = local_pv("pv-0", "n0")
    pv["spec"]["claimRef"] = {"namespace": NS, "name": "data-0"}
    written = bind_volume_to_claim(pv, claim_obj("data-0"))
    assert written["spec"]["claimRef"]["uid"] == "uid-data-0"
    assert BOUND_BY_CONTROLLER not in (written["metadata"].get("annotations") or {})


def test_a_pv_reserved_for_a_pod_in_flight_stays_taken_across_a_rebuild():
    """A smaller PV arriving on the node rebuilds the snapshot while web-0's PreBind writes
    the larger one: web-0 keeps the PV it is writing, and web-1 gets the new one."""
    release = threading.Event()
    kube = PvController(binds=release)
    sched = scheduler(kube)
    try:
        sched.inbox.put(("node", "ADDED", node_obj("n0")))
        sched.inbox.put(("volume:StorageClass", "ADDED", local_class()))
        large = local_pv("pv-large", "n0")
        large["spec"]["capacity"]["storage"] = "2Gi"
        sched.inbox.put(("volume:PersistentVolume", "ADDED", large))
        for i in range(2):
            sched.inbox.put(("volume:PersistentVolumeClaim", "ADDED", claim_obj(f"data-{i}")))
        sched.inbox.put(("pod", "ADDED", pod_obj("web-0", "data-0")))
        sched._apply_waiting(timeout=0)
        sched._schedule(sched.queue.pop())  # web-0's PreBind now waits for its claim
        rebuilds = sched.cache.rebuilds
        sched.inbox.put(("volume:PersistentVolume", "ADDED", local_pv("pv-small", "n0")))
        sched.inbox.put(("pod", "ADDED", pod_obj("web-1", "data-1")))
        sched._apply_waiting(timeout=0)
        sched._schedule(sched.queue.pop())
        assert sched.cache.rebuilds > rebuilds  # web-1 was decided on a snapshot built anew
        release.set()
        step(sched, until=lambda: len(kube.calls("POST", "/binding")) == 2)
        taken = {name: pv["spec"]["claimRef"]["name"] for name, pv in kube.pvs.items()}
        assert taken == {"pv-large": "data-0", "pv-small": "data-1"}
    finally:
        sched.shutdown()


def test_prebind_stops_when_the_pod_is_gone():
    class PodGone(PvController):
        def request(self, method, path, body=None, **kw):
            if "/pods/" in path:
                raise ApiError(404, {"message": 'pods "web-0" not found'})
            return super().request(method, path, body, **kw)
    pv = bind_volume_to_claim(local_pv("pv-0", "n0"), claim_obj("data-0"))
    volumes = LiveVolumes(PodGone(binds=False), cache=type("C", (), {"storage": None})())
    error = volumes.prebind(VolumeBindings(NS, "web-0", "n0", [(pv, claim_obj("data-0"))], []), timeout=600)
    assert error.startswith("binding volumes: pod does not exist any more: ")


def test_storage_events_are_read_once_when_the_next_snapshot_is_compiled(monkeypatch):
    import kubesched.live.volume_binding as volume_binding

    reads = []
    real = volume_binding.read_storage
    monkeypatch.setattr(volume_binding, "read_storage", lambda manifests: reads.append(1) or real(manifests))
    cache = Cache(Profile())
    cache.snapshot_for(cache.profile)
    volumes = LiveVolumes(PvController(), cache)
    for i in range(50):  # a StatefulSet's PVs arriving one event at a time
        volumes.event("PersistentVolume", "ADDED", local_pv(f"pv-{i}", f"n{i}"))
    assert reads == [] and cache.snapshot is None  # no parse on the watch path, the snapshot is stale
    storage, references = cache.storage_source()
    assert reads == [1] and len(storage.volumes) == 50 and not references
    cache.storage_source()
    assert reads == [1]  # nothing changed since: the same objects


def test_volume_attachments_are_watched_and_read_into_the_model():
    volumes = LiveVolumes(None, cache=Cache(Profile()))
    attachment = {"metadata": {"name": "va-0"}, "spec": {"attacher": "ebs.csi.aws.com", "nodeName": "n0",
                                                       "source": {"persistentVolumeName": "pv-0"}}}
    volumes.event("VolumeAttachment", "ADDED", attachment)
    (found,) = volumes.storage().attachments.values()
    assert (found.node, found.attacher, found.volume) == ("n0", "ebs.csi.aws.com", "pv-0")
    volumes.event("VolumeAttachment", "DELETED", attachment)
    assert not volumes.storage().attachments
