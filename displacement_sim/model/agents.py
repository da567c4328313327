"""Mesa agents: economies and firms.

Firms keep their state in the model's firm column store (``model.firms_state``, so each step's
decisions are vectorised); a ``Firm`` agent is a named view on its row, for inspection and for
Mesa's agent sets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from displacement_sim.constants import SECTORS

if TYPE_CHECKING:
    from displacement_sim.config import EconomySettings
    from displacement_sim.data import EconomyProfile
    from displacement_sim.model.model import DisplacementModel


class Economy(mesa.Agent):
    """One economy: its data profile, its resolved settings and its monthly indicators.

    The model sets one attribute per reported metric each step (see ``reporters.METRICS``); the
    DataCollector reads them by name.
    """

    def __init__(self, model: DisplacementModel, index: int, profile: EconomyProfile,
                 settings: EconomySettings, workers_per_agent: float) -> None:
        super().__init__(model)
        self.index = index
        self.iso3 = profile.iso3
        self.profile = profile
        self.settings = settings
        self.workers_per_agent = workers_per_agent


class Firm(mesa.Agent):
    """One firm of an economy and sector, with its own adoption threshold."""

    def __init__(self, model: DisplacementModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def economy(self) -> str:
        """ISO3 code of the firm's economy."""
        return self.model.economy_codes[self.model.firms_state.economy[self.row]]

    @property
    def sector(self) -> str:
        """ISIC sector group of the firm."""
        return SECTORS[self.model.firms_state.sector[self.row]]

    @property
    def threshold(self) -> float:
        """Cost ratio below which automation pays for this firm."""
        return float(self.model.firms_state.threshold[self.row])

    @property
    def adopted(self) -> bool:
        """Whether the firm has adopted automation."""
        return bool(self.model.firms_state.adopted_month[self.row] >= 0)

    @property
    def automated_share(self) -> float:
        """Share of the firm's starting work that it has automated."""
        return float(self.model.firms_state.automated_share[self.row])

    @property
    def employment(self) -> float:
        """Worker agents employed by the firm."""
        return float(self.model.firms_state.employment[self.row])

    @property
    def vacancies(self) -> float:
        """Open vacancies, in worker agents."""
        return float(self.model.firms_state.vacancies[self.row])
