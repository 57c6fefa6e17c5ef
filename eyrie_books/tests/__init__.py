from . import test_live_ui
from . import test_runs
from . import test_runs_kmock
