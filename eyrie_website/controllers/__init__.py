from . import portal
from . import portal_operate
from . import health
from . import preview
