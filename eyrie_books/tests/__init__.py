from . import test_runs
from . import test_runs_kmock
