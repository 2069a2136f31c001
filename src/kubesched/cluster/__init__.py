"""A real Kubernetes control plane on loopback, built from Go modules and run as processes.

`build` makes (or finds cached) binaries, `plane` starts and stops etcd, kube-apiserver,
kwok and optionally kube-scheduler and kube-controller-manager in a directory.
"""
