"""Core: the GroupSet model (and, later, the rules that generate GroupSets)."""
