from . import test_members
from . import test_portal_actions
from . import test_portal_pages
from . import test_tour
from . import test_runs
from . import test_live_tour
from . import test_secrets
from . import test_portal_rollback
