"""displacement_sim: automation, displacement and reskilling in the eleven ASEAN-US economies.

The public API, used alike by the command line and by notebooks.
"""

from importlib.metadata import PackageNotFoundError, version

try:  # the installed version, pyproject.toml's ``version``
    __version__ = version("displacement_sim")
except PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "0+unknown"

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
