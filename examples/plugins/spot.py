"""An example Python plugin for kubesched (see README, "Python plugins").

Pods labelled `workload-class: critical` never go to spot nodes; everything else prefers
them a little, since they are cheaper."""

SPOT_LABEL = "node.kubernetes.io/lifecycle"


class AvoidSpotForCritical:
    def filter(self, pod, node):
        if pod.labels.get("workload-class") == "critical" and node.labels.get(SPOT_LABEL) == "spot":
            return "node(s) are spot instances and the pod is critical"
        return None

    def score(self, pod, node):
        return 100 if node.labels.get(SPOT_LABEL) == "spot" else 0
