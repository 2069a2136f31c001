"""Capacity planning: how many more replicas fit (fit), how many nodes of which template a
workload needs (nodes), what happens when nodes go (drain); with the engine's decisions."""
