from . import eyrie_deployment_preview
from . import eyrie_deployment_rollback
from . import eyrie_pod_log
