"""mlkwatch: a terminal run monitor for the Montlake Labs workflow API."""

__version__ = "0.1.0"
