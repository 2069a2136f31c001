"""Scheduler extenders: kube-scheduler's HTTP extender protocol (filter, prioritize, preempt, bind)
as `kubesched run` calls it."""
