"""The model: workers as column arrays, firms and economies as Mesa agents."""

from displacement_sim.model.agents import Economy, Firm
from displacement_sim.model.model import DisplacementModel
from displacement_sim.model.reporters import METRICS
from displacement_sim.model.workers import Workers

__all__ = ["DisplacementModel", "Economy", "Firm", "METRICS", "Workers"]
