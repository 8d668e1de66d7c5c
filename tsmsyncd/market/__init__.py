"""Core: market arithmetic on auction-house snapshots (market value, day weighting, sales estimates)."""
