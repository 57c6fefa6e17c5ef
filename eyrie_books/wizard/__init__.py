from . import eyrie_deployment_rollback
