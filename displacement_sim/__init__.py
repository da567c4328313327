"""displacement_sim: automation, displacement and reskilling in the eleven ASEAN-US economies.

The public API, used alike by the command line and by notebooks.
"""

__version__ = "0.1.0"

from displacement_sim.config import EconomySettings, Scenario  # noqa: E402
from displacement_sim.errors import (  # noqa: E402
    CalibrationError,
    DataError,
    DisplacementSimError,
    ScenarioError,
    StoreError,
)

__all__ = [
    "__version__",
    "CalibrationError",
    "DataError",
    "DisplacementSimError",
    "EconomySettings",
    "Scenario",
    "ScenarioError",
    "StoreError",
]
