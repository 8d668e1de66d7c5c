"""tsmsyncd: keeps TradeSkillMaster groups in sync with the auction house, without losing a byte."""

# The one place the version is written: pyproject.toml reads it from here (importlib.metadata would
# cost ~50 ms of start-up on every command).
__version__ = "0.2.0"
