"""Names for objects the controllers (or `generateName`) would create: the API's 5-character
suffix alphabet, but chosen deterministically so that every run names pods alike.

For a fixed seed the suffix is a bijection of the ordinal (ordinal × an odd step not
divisible by 3, plus a seed offset, modulo 27⁵), so one workload never repeats a name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from functools import lru_cache

ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # upstream's: no vowels, no 0/1/3 look-alikes
_LENGTH = 5
_SPACE = len(ALPHABET) ** _LENGTH
_STEP = 7_368_787  # coprime with 27**5


_PAIRS = [ALPHABET[k % len(ALPHABET)] + ALPHABET[k // len(ALPHABET)] for k in range(len(ALPHABET) ** 2)]


def stable_hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def encode(number: int, length: int) -> str:
    chars = []
    for _ in range(length):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars)


def name_suffix(seed: str, ordinal: int) -> str:
    return encode((stable_hash(seed) + ordinal * _STEP) % _SPACE, _LENGTH)


def name_suffixes(seed: str, count: int) -> Iterator[str]:
    """`name_suffix(seed, i)` for i in range(count), as they are asked for, the seed hashed
    once: a workload of 200,000 replicas names its pods in a blink."""
    pairs, size = _PAIRS, len(_PAIRS)
    start = _seed_offset(seed)
    for ordinal in range(count):
        number = (start + ordinal * _STEP) % _SPACE
        yield pairs[number % size] + pairs[number // size % size] + ALPHABET[number // (size * size)]


@lru_cache(maxsize=1024)
def _seed_offset(seed: str) -> int:
    return stable_hash(seed)


def template_hash(text: str) -> str:
    """A 10-character label value standing for a pod template (Deployment's pod-template-hash)."""
    return encode(stable_hash(text), 10)
