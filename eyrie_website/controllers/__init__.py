from . import portal
from . import preview
