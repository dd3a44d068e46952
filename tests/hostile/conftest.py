"""Fixtures for Pilot tests of the app fed hostile data by the simulator."""

from tests.faults.harness import audit_path, make_app, sim

__all__ = ["audit_path", "make_app", "sim"]
