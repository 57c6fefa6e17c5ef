from . import portal
from . import health
from . import preview
