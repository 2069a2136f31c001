"""kubesched: a Kubernetes scheduler and capacity planner with a C++ decision core."""

__version__ = "0.1.0"
