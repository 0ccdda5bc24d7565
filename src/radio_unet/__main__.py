"""``python -m radio_unet`` is the same as the ``radio-unet`` command."""

import sys

from .cli import main

sys.exit(main())
