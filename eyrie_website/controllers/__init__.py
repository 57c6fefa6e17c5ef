from . import portal
from . import preview
from . import health
from . import portal_operate
