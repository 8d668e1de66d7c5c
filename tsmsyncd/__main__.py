"""``python -m tsmsyncd`` is the same as the ``tsmsyncd`` command."""

from tsmsyncd.cli import run

run()
