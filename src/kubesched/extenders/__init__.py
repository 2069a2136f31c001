"""Scheduler extenders: kube-scheduler's HTTP extender protocol (filter, prioritize, bind)
as `kubesched run` calls it."""
