"""Every property test here runs the same examples on every run: derandomized, without an
example database, and without per-example deadlines (a busy machine is no failure); each
test bounds its own max_examples."""

from hypothesis import HealthCheck, settings

settings.register_profile("kubesched", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kubesched")
