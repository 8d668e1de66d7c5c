"""The file-system floor: files tsmsyncd owns (atomic replace, the backup store and its manifests, the
record of root groups it created, the one SQLite writer thread) and the careful reading of the one file
it does not own, a player's SavedVariables."""
