from . import eyrie_deployment_preview
