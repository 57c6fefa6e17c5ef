from . import test_access
from . import test_fuzz
from . import test_lifecycle
from . import test_namespaces
from . import test_source
from . import test_validation
from . import test_versions
from . import test_webhooks
