"""Random streams: one generator per mechanism and economy, all from the run's seed.

Workers and firms are stored economy by economy, so the members of any sorted index array are
grouped by economy, and each economy's draws come from its own generator. A policy that
changes how many draws one economy makes leaves every other economy's draws, and the other
mechanisms' draws, as they were: comparisons are paired exactly (common random numbers).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class EconomyStreams:
    """The generators of one mechanism, one per economy.

    Parameters
    ----------
    seed : numpy.random.SeedSequence
        The mechanism's seed; each economy's generator is spawned from it.
    offsets : numpy.ndarray
        Start of each economy's block of members, plus the end (length ``n_economies + 1``).
    economy_ids : sequence of int
        A fixed number per economy (its place in ``constants.ECONOMIES``), so an economy gets
        the same generator whichever other economies are simulated and in whatever order.
    """

    def __init__(self, seed: np.random.SeedSequence, offsets: np.ndarray,
                 economy_ids: Sequence[int]) -> None:
        self.gens = [np.random.default_rng(np.random.SeedSequence(
            seed.entropy, spawn_key=(*seed.spawn_key, int(i)))) for i in economy_ids]
        self.offsets = np.asarray(offsets)

    def counts(self, idx: np.ndarray) -> np.ndarray:
        """Members of each economy among the sorted indices ``idx``."""
        return np.diff(np.searchsorted(idx, self.offsets))

    def random(self, idx: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        """One uniform draw per member of the sorted indices ``idx``."""
        parts = [g.random(int(c), dtype=dtype) for g, c in zip(self.gens, self.counts(idx),
                                                                strict=True) if c]
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

    def random_all(self, dtype: type = np.float64) -> np.ndarray:
        """One uniform draw per member of every economy, in storage order."""
        sizes = np.diff(self.offsets)
        parts = [g.random(int(c), dtype=dtype) for g, c in zip(self.gens, sizes, strict=True)]
        return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
