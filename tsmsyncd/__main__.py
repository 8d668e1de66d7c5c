"""``python -m tsmsyncd`` is the same as the ``tsmsyncd`` command."""

import sys

from tsmsyncd.cli import main

sys.exit(main())
