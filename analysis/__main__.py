"""``python -m analysis`` is the ``baicun`` command."""

import sys

from .cli import command

sys.exit(command())
