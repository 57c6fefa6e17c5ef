from . import eyrie_project_member
from . import eyrie_project
from . import ir_websocket
