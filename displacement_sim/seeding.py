"""Seeds are data: every seed derives from a master seed and what it is for, by one function.

The seed policy, the same through every entry point (``run``, batch files, comparisons,
sensitivity analyses, calibration):

- :func:`derive_seed` is the only derivation: ``SeedSequence(master, spawn_key=key)``, with the
  key's text parts hashed by SHA-256 (:func:`key_to_ints`), never by Python's ``hash``.
- A run's seed is :func:`run_seed`: with common random numbers (the default everywhere),
  replicate ``r`` of any scenario gets the same seed under the same master seed, so options and
  sample points are paired run by run; without them, the scenario's settings hash is part of
  the key and each scenario draws its own numbers.
- The run id holds what the seed depends on (:func:`displacement_sim.workflows.runs.run_id`):
  the same scenario, master seed, pairing and replicate give the same id and the same results.
- Seeds for tools (SALib's samplers, scipy's optimiser) come from :func:`tool_seed`.

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

    Parameters
    ----------
    parts : iterable
        The parts of the key: non-negative integers, or anything with a ``str``.

    Returns
    -------
    tuple of int
        One integer per part.

    Raises
    ------
    ValueError
        If an integer part is negative.

    Examples
    --------
    The text part is the first four bytes of its SHA-256, the same in every process and on
    every machine:

    >>> key_to_ints([3, "baseline", 7])
    (3, 1783212171, 7)
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


def derive_seed(master_seed: int, key: Iterable[object]) -> int:
    """The one derivation of a seed: a 63-bit integer from the master seed and a key.

    Parameters
    ----------
    master_seed : int
        The master seed (a scenario's or a study file's ``seed``).
    key : iterable
        What the seed is for; integers are used as they are, anything else by its SHA-256.
    """
    seq = np.random.SeedSequence(master_seed, spawn_key=key_to_ints(key))
    state = seq.generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def run_seed(master_seed: int, replicate: int, stream: str | None = None) -> int:
    """The seed of a run.

    Parameters
    ----------
    master_seed : int
        The master seed.
    replicate : int
        The replicate number.
    stream : str, optional
        ``None`` for common random numbers (replicate ``r`` shares its seed with replicate
        ``r`` of every other scenario); otherwise a key of the scenario (its settings hash),
        so that it draws numbers of its own.

    Examples
    --------
    A seed is a function of what the run is, pinned here: the same arguments give the same
    seed in any process, on any machine, in any order of execution.

    >>> run_seed(2026, 0)
    1029167838135857567
    >>> run_seed(2026, 0) == run_seed(2026, 0) != run_seed(2026, 1)
    True

    With a stream (no common random numbers), the scenario draws numbers of its own:

    >>> run_seed(2026, 0, stream="a1b2c3") != run_seed(2026, 0)
    True
    """
    return derive_seed(master_seed, (replicate,) if stream is None else (stream, replicate))


def tool_seed(master_seed: int, purpose: str) -> int:
    """A seed in ``[1, 2**31 - 1)`` for a tool (SALib, scipy), from the master seed and what
    it is for (some of SALib's functions treat 0 as "no seed").

    Parameters
    ----------
    master_seed : int
        The master seed.
    purpose : str
        What the seed is for (for example ``"calibration-refit-1"``).
    """
    return derive_seed(master_seed, ("tool", purpose)) % (2**31 - 2) + 1
