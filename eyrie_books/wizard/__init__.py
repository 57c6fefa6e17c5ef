from . import eyrie_deployment_rollback
from . import eyrie_pod_log
from . import eyrie_deployment_preview
