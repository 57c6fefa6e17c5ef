from . import eyrie_book
from . import eyrie_book_step
from . import eyrie_cluster
from . import eyrie_deployment_group
from . import eyrie_job
from . import eyrie_job_step
from . import eyrie_deployment
from . import queue_job
