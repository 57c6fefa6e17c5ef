from . import test_live_ui
from . import test_runs
from . import test_runs_kmock
from . import test_faults
from . import test_fuzz
from . import test_secrets
from . import test_push
from . import test_config
