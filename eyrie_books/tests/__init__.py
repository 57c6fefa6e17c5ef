from . import test_runs
