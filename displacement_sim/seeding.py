"""Seeds are data: a run's seed derives from the master seed and what the run is.

References
----------
NumPy, "Parallel random number generation": ``SeedSequence`` with a ``spawn_key``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

SeedLike = int | np.random.SeedSequence
"""What a seed may be throughout the package."""


def key_to_ints(parts: Iterable[object]) -> tuple[int, ...]:
    """Turn the parts of a run's identity into a stable tuple of 32-bit integers.

    Integers are kept as they are; anything else is hashed with SHA-256 of its ``str``, so the
    result does not depend on the Python process (unlike ``hash``).
    """
    out: list[int] = []
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, int):
            digest = hashlib.sha256(str(part).encode()).digest()
            out.append(int.from_bytes(digest[:4], "little"))
        else:
            if part < 0:
                raise ValueError(f"seed key parts must be >= 0, got {part}")
            out.append(part)
    return tuple(out)


def run_seed_sequence(master_seed: int, key: Iterable[object]) -> np.random.SeedSequence:
    """Return the ``SeedSequence`` of one run, from the master seed and the run's key."""
    return np.random.SeedSequence(master_seed, spawn_key=key_to_ints(key))


def run_seed(master_seed: int, key: Iterable[object]) -> int:
    """Return one 63-bit integer seed for the run, for writing into result rows."""
    state = run_seed_sequence(master_seed, key).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))
