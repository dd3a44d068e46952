"""Benchmarks of mlkwatch against honest baselines, run as a script.

`python -m tests.benchmarks` prints, per workload, mlkwatch's figure, the
baseline's figure measured in the same run and their ratio, against the
targets of issue 6. Timings are never asserted in the test suite: the smoke
tests only check that the harness still produces sane numbers.
"""
