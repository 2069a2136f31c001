"""kubesched against upstream's own scheduling code (the oracle, hack/oracle) on random
scenarios: every pod's node and message, every node's filter verdict, every feasible
node's weighted scores and total must be upstream's. The first divergence fails the seed
with a record naming pod, node, plugin and both values, and the scenario is written to
a file the message names (replay: `make conformance SCENARIO=<file>`).

Every family of objects and config is generated here (no exclusions); `make conformance`
runs many more seeds and tallies the divergences by class. The oracle binary is built on
first use; if it cannot be built, the test fails.
"""

from __future__ import annotations

import pytest

from .harness import TEST_SEEDS, check_seed


@pytest.mark.slow
@pytest.mark.parametrize("seed", TEST_SEEDS)
def test_kubesched_decides_as_upstream(seed):
    outcome = check_seed(seed)
    if outcome.divergence is not None:
        pytest.fail(str(outcome.divergence), pytrace=False)
