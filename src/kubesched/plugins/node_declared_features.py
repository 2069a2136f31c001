"""NodeDeclaredFeatures (GA in v1.37, appended to the default profile): the core does not run it;
it decides nothing for the pods kubesched simulates."""

from kubesched.plugins.plugin import Plugin, points

PLUGIN = Plugin("NodeDeclaredFeatures", points("preFilter", "filter"), default_weight=0)
