"""Services: putting planned changes onto the player's disk safely (backups, atomic apply, verify)."""
