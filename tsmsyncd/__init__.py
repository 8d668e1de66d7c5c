"""tsmsyncd: keeps TradeSkillMaster groups in sync with the auction house, without losing a byte."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tsmsyncd")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
