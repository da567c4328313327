"""Firms, held column-wise like the workers (one row per firm)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass
class Firms:
    """Firms' state, one array per attribute.

    Firms are stored economy by economy, sector by sector, ``firms_per_sector`` each, so the
    firms of cell ``c = economy * n_sectors + sector`` are rows ``c * F`` to ``(c + 1) * F``.
    Employment, vacancies and targets are in worker agents.
    """

    economy: np.ndarray          # int64
    sector: np.ndarray           # int64
    cell: np.ndarray             # int64, economy * n_sectors + sector
    threshold: np.ndarray        # float64, cost ratio below which automation pays
    adopted_month: np.ndarray    # int64, -1 if not adopted
    automated_share: np.ndarray  # float64, share of the firm's work automated
    cost_saving: np.ndarray      # float64, unit-cost saving per unit of automated work
    demand_share: np.ndarray     # float64, share of its cell's labour demand at the start
    employment: np.ndarray       # float64
    vacancies: np.ndarray        # float64
    target: np.ndarray           # float64, labour demand d of del Rio-Chanona et al.

    @property
    def n(self) -> int:
        """Number of firms."""
        return self.economy.size

    def nbytes(self) -> int:
        """Bytes of state held for all firms."""
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    @classmethod
    def grid(cls, n_economies: int, n_sectors: int, per_sector: int) -> Firms:
        """``per_sector`` firms in every economy and sector, with zeroed state."""
        n_cells = n_economies * n_sectors
        cell = np.repeat(np.arange(n_cells, dtype=np.int64), per_sector)
        n = cell.size
        return cls(
            economy=cell // n_sectors,
            sector=cell % n_sectors,
            cell=cell,
            threshold=np.ones(n),
            adopted_month=np.full(n, -1, np.int64),
            automated_share=np.zeros(n),
            cost_saving=np.zeros(n),
            demand_share=np.zeros(n),
            employment=np.zeros(n),
            vacancies=np.zeros(n),
            target=np.zeros(n),
        )
