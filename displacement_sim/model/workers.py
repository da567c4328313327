"""The worker population, held column-wise in numpy arrays (one row per worker agent)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from displacement_sim.constants import EMPLOYED
from displacement_sim.outcomes import COHORT_MONTHS

NEVER = np.int16(-1)
"""Month value for 'never' (never displaced, never trained)."""

__all__ = ["COHORT_MONTHS", "NEVER", "Workers"]


@dataclass
class Workers:
    """Worker agents' state, one array per attribute.

    Every worker agent stands for ``workers_per_agent[economy]`` people (see the model). Rows
    hold the working-age population (15+): members of the labour force, the inactive, and
    spare rows outside the population that enter it as the population grows.
    """

    economy: np.ndarray          # uint8, index into the model's economies
    sector: np.ndarray           # uint8, index into SECTORS (current or last job; target once trained)
    occupation: np.ndarray       # uint8, index into OCCUPATIONS
    skill: np.ndarray            # uint8, 0 low, 1 medium, 2 high
    sex: np.ndarray              # uint8, index into SEXES (0 F, 1 M)
    age: np.ndarray              # uint8, index into AGE_GROUPS
    rural: np.ndarray            # bool
    digital: np.ndarray          # bool, uses the internet
    status: np.ndarray           # uint8, index into STATUSES
    months_in_status: np.ndarray  # uint16
    wage: np.ndarray             # float32, current or last wage relative to the economy's index
    exposure: np.ndarray         # float32, share of the worker's work that can be automated
    firm: np.ndarray             # int32, current or last employer (global firm index)
    displaced_month: np.ndarray  # int16, month of the latest displacement, NEVER if none
    wage_before_displacement: np.ndarray  # float32, relative wage before displacement
    training_start: np.ndarray   # int16, month the latest training started, NEVER if none
    trainings: np.ndarray        # uint8, programmes started
    trained: np.ndarray          # bool, completed a programme
    job_loser: np.ndarray        # bool, unemployed after losing a job (entitled to benefits)
    tenured_loss: np.ndarray     # bool, lost a job held DWS_TENURE_MONTHS+ (layoff), not employed since
    subsidy_until: np.ndarray    # int16, last month of a hiring subsidy, NEVER if none
    cohort_status: np.ndarray    # uint8 (n, len(COHORT_MONTHS)), status k months after displacement

    @property
    def n(self) -> int:
        """Number of worker agents."""
        return self.status.size

    def nbytes(self) -> int:
        """Bytes of state held for all workers."""
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    @classmethod
    def empty(cls, n: int) -> Workers:
        """All workers employed with zeroed attributes; the model fills them in."""
        return cls(
            economy=np.zeros(n, np.uint8),
            sector=np.zeros(n, np.uint8),
            occupation=np.zeros(n, np.uint8),
            skill=np.zeros(n, np.uint8),
            sex=np.zeros(n, np.uint8),
            age=np.zeros(n, np.uint8),
            rural=np.zeros(n, bool),
            digital=np.zeros(n, bool),
            status=np.full(n, EMPLOYED, np.uint8),
            months_in_status=np.zeros(n, np.uint16),
            wage=np.zeros(n, np.float32),
            exposure=np.zeros(n, np.float32),
            firm=np.zeros(n, np.int32),
            displaced_month=np.full(n, NEVER, np.int16),
            wage_before_displacement=np.zeros(n, np.float32),
            training_start=np.full(n, NEVER, np.int16),
            trainings=np.zeros(n, np.uint8),
            trained=np.zeros(n, bool),
            job_loser=np.zeros(n, bool),
            tenured_loss=np.zeros(n, bool),
            subsidy_until=np.full(n, NEVER, np.int16),
            cohort_status=np.zeros((n, len(COHORT_MONTHS)), np.uint8),
        )

    def set_status(self, idx: np.ndarray, status: int) -> None:
        """Move workers ``idx`` to ``status`` and restart their months in status."""
        self.status[idx] = status
        self.months_in_status[idx] = 0
