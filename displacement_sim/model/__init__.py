"""The model: workers as column arrays, firms and economies as Mesa agents."""

from .agents import Economy, Firm
from .model import DisplacementModel
from .reporters import METRICS
from .workers import Workers

__all__ = ["DisplacementModel", "Economy", "Firm", "METRICS", "Workers"]
