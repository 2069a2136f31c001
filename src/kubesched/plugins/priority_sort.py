"""PrioritySort: the queue's order (priority, then creation time)."""

from kubesched.plugins.plugin import Plugin, points

PLUGIN = Plugin("PrioritySort", points("queueSort"), default_weight=0)
