"""Fixtures for Pilot tests of the app under the simulator's faults."""

from tests.faults.harness import audit_path, make_app, sim

__all__ = ["audit_path", "make_app", "sim"]
