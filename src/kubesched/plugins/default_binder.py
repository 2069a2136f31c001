"""DefaultBinder: posts the pod's binding."""

from kubesched.plugins.plugin import Plugin, points

PLUGIN = Plugin("DefaultBinder", points("bind"), default_weight=0)
