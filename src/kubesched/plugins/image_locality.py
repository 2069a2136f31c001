"""ImageLocality: nodes that already have the pod's images score higher."""

from kubesched.plugins.plugin import Plugin, points

PLUGIN = Plugin("ImageLocality", points("score"), default_weight=1, core_score=6)
