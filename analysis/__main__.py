"""``python -m analysis`` is the ``baicun`` command."""

import sys

from .cli import main

sys.exit(main())
