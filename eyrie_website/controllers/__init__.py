from . import portal
from . import preview
from . import health
