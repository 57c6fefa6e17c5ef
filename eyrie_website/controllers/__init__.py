from . import portal
from . import health
