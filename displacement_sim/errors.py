"""Project exceptions. Each carries one message meant for the user, not a traceback."""


class DisplacementSimError(Exception):
    """Base class for every error this package raises on purpose."""


class ScenarioError(DisplacementSimError):
    """A scenario, batch or analysis file is missing, unreadable or invalid."""


class DataError(DisplacementSimError):
    """A data file under ``calibration/data`` is missing, malformed or lacks a value."""


class StoreError(DisplacementSimError):
    """The results store cannot be written, or belongs to another batch."""


class CalibrationError(DisplacementSimError):
    """A calibration file or fit is invalid."""


class RunError(DisplacementSimError):
    """Model runs failed; their errors are stored with the results, and a rerun retries them."""
