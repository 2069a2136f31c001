"""SchedulingGates: a pod with scheduling gates waits at PreEnqueue."""

from kubesched.plugins.plugin import Plugin, points

# The PreEnqueue message for a pod with gates (upstream's pod condition text).
GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"

PLUGIN = Plugin("SchedulingGates", points("preEnqueue"), default_weight=0)
