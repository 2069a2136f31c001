"""ImageLocality: nodes that already have the pod's images score higher."""

from kubesched.plugins.plugin import Plugin, points, reads

PLUGIN = Plugin("ImageLocality", points("score"), default_weight=1, core_score=6, reads=reads("images"))
