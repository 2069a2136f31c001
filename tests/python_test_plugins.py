"""Python plugins (engine/python_plugins.py) the tests name in profiles by import path, e.g.
`tests.python_test_plugins:HashedFilter`. Their verdicts depend only on the names, so both
sides of a comparison (tests/side_by_side.py) get the same answers from them."""

from __future__ import annotations

from zlib import crc32

HASHED_OUT = "node(s) were hashed out by a Python plugin"


class NotN1:
    def filter(self, pod, node):
        return "node(s) are n1" if node.name == "n1" else None


class HashedFilter:
    """Rejects about a quarter of the nodes, the same ones for every pod."""

    def filter(self, pod, node):
        return HASHED_OUT if crc32(node.name.encode()) % 4 == 0 else None


class PodHashedFilter:
    """Rejects about a third of the nodes, other ones for each pod."""

    def filter(self, pod, node):
        return HASHED_OUT if crc32(f"{node.name}/{pod.key}".encode()) % 3 == 0 else None


class HashedScore:
    """0, 50 or 100 by pod and node: coarse, so that nodes tie."""

    def score(self, pod, node):
        return 50 * (crc32(f"{pod.key}/{node.name}".encode()) % 3)


class Flat:
    def score(self, pod, node):
        return 50
